"""``LiftMemoryBlock``: a parametric long-term memory block for ``llama_index.core.memory.Memory``.

On ``aget`` the block asks its LIFT memory about the latest user message and hands the recalled
answer to ``Memory``, which puts it into the prompt of whatever LLM the agent uses (local or
remote). On ``aput`` it queues the messages that ``Memory`` flushed out of short-term history;
``consolidate()`` trains them into the memory's weights (on demand, every N messages, or in a
background worker), so a conversation longer than any window becomes parameters.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from typing import Any, Literal

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.memory.memory import BaseMemoryBlock
from llama_index.memory.lift.arms import ask_memory
from llama_index.memory.lift.routing import RelevanceRouter, RouteDecision, Scaling, forced_route

from lift_memory.answer import Answer
from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.config import LiftConfig
from lift_memory.consolidate import ConsolidationResult, consolidate, open_memory
from lift_memory.documents import Document
from lift_memory.memory import LiftMemory
from lift_memory.models import LoadedModel
from lift_memory.store import MemoryStore

log = logging.getLogger(__name__)

DEFAULT_RECALL_TEMPLATE = 'Asked "{question}", the long-term memory recalls: {answer}'


def message_text(message: ChatMessage) -> str:
    return (message.content or "").strip()


def transcript(messages: list[ChatMessage]) -> str:
    """Messages as a plain transcript, one ``Role: text`` line each."""
    lines = []
    for message in messages:
        text = message_text(message)
        if text:
            lines.append(f"{message.role.value.capitalize()}: {text}")
    return "\n".join(lines)


class ConsolidationWorker:
    """A daemon thread that consolidates a block's queue whenever messages arrive."""

    def __init__(self, block: LiftMemoryBlock, delay_s: float = 0.0) -> None:
        self.block = block
        self.delay_s = delay_s
        self.errors: list[BaseException] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lift-consolidation", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            if self.delay_s:
                time.sleep(self.delay_s)  # let a burst of flushed messages arrive together
            self._busy.set()
            try:
                while self.block.pending and not self._stop.is_set():
                    self.block.consolidate()
            except Exception as error:  # kept for the caller; the queue keeps the messages
                log.exception("background consolidation failed")
                self.errors.append(error)
            finally:
                self._busy.clear()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is empty and nothing trains; False on timeout or error."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.block.pending or self._busy.is_set() or self._wake.is_set():
            if self.errors or (deadline is not None and time.monotonic() > deadline):
                return False
            time.sleep(0.05)
        return not self.errors

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)


class LiftMemoryBlock(BaseMemoryBlock[str]):
    """Long-term memory in the weights of a LIFT memory, for ``Memory(memory_blocks=[...])``.

    Build it over a loaded :class:`LiftMemory` and its store, or with
    ``LiftMemoryBlock.from_store(name, store=..., model=...)``, which creates an empty memory
    for a new conversation.

    ``mode="auto"`` (the default) recalls only for questions about the memory's corpus, by the
    relevance threshold its ingest calibrated; for others the block adds nothing to the prompt
    (``last_route`` says why). A memory without a calibration (one built by consolidation alone)
    recalls for every question, as ``mode="memory"`` does.
    """

    name: str = Field(default="lift_memory", description="Name of the block in the prompt.")
    description: str | None = Field(
        default="Facts recalled from a LIFT parametric memory (trained from past conversation)."
    )
    max_new_tokens: int = Field(
        default=ANSWER_MAX_NEW_TOKENS, gt=0, description="Length of a recalled answer."
    )
    context: Literal["none", "truncated"] = Field(
        default="none", description="Recall closed-book, or with a truncated corpus view."
    )
    min_confidence: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Leave out recalls whose confidence (exp of the mean token log-prob) is lower.",
    )
    recall_template: str = Field(default=DEFAULT_RECALL_TEMPLATE)
    mode: Literal["auto", "memory"] = Field(
        default="auto",
        description="auto: recall only for questions about the memory's corpus; memory: always.",
    )
    scaling: Scaling = Field(
        default="hard", description="auto mode: hard switch, or soft (the gate scaled)."
    )
    roles: list[str] = Field(
        default_factory=lambda: ["user", "assistant"],
        description="Roles of the flushed messages that are consolidated.",
    )
    consolidate_every: int | None = Field(
        default=None,
        gt=0,
        description="Consolidate automatically once this many messages are queued.",
    )
    consolidation_config: LiftConfig | None = Field(
        default=None, description="Epochs etc. of each consolidation (default: the memory's)."
    )

    _memory: LiftMemory = PrivateAttr()
    _store: MemoryStore = PrivateAttr()
    _queue: list[ChatMessage] = PrivateAttr(default_factory=list)
    _queue_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _worker: ConsolidationWorker | None = PrivateAttr(default=None)
    _last_recall: Answer | None = PrivateAttr(default=None)
    _last_route: RouteDecision | None = PrivateAttr(default=None)
    _router: RelevanceRouter | None = PrivateAttr(default=None)
    _results: list[ConsolidationResult] = PrivateAttr(default_factory=list)

    def __init__(self, memory: LiftMemory, store: MemoryStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._memory = memory
        self._store = store

    @classmethod
    def from_store(
        cls,
        memory_name: str,
        *,
        store: MemoryStore | None = None,
        model: LoadedModel,
        config: LiftConfig | None = None,
        **kwargs: Any,
    ) -> LiftMemoryBlock:
        """The block over memory ``memory_name``, created empty (with ``config``) if absent."""
        store = store or MemoryStore()
        memory = open_memory(memory_name, store=store, model=model, config=config)
        return cls(memory, store, **kwargs)

    # --- state
    @property
    def memory(self) -> LiftMemory:
        return self._memory

    @property
    def pending(self) -> list[ChatMessage]:
        """Messages queued for the next consolidation."""
        with self._queue_lock:
            return list(self._queue)

    @property
    def last_recall(self) -> Answer | None:
        return self._last_recall

    @property
    def consolidations(self) -> list[ConsolidationResult]:
        return list(self._results)

    @property
    def last_route(self) -> RouteDecision | None:
        """The route of the latest question: memory (recalled) or base (nothing added)."""
        return self._last_route

    # --- recall
    @property
    def router(self) -> RelevanceRouter:
        if self._router is None:
            self._router = RelevanceRouter.for_memory(
                self._memory, store=self._store, scaling=self.scaling
            )
        return self._router

    def decide(self, question: str) -> RouteDecision:
        if self.mode == "memory":
            return forced_route("memory")
        return self.router.decide(question)

    def recall(self, question: str, route: RouteDecision | None = None) -> Answer:
        """The memory's closed-book (or truncated-context) answer to ``question``; ``route``
        (soft scaling) may scale its gate."""
        answer = ask_memory(
            self._memory,
            question,
            context=self.context,
            max_new_tokens=self.max_new_tokens,
            route=route if route is not None and route.use_memory else None,
        )
        self._last_recall = answer
        return answer

    async def _aget(self, messages: list[ChatMessage] | None = None, **block_kwargs: Any) -> str:
        question = next(
            (
                message_text(m)
                for m in reversed(messages or [])
                if m.role == MessageRole.USER and message_text(m)
            ),
            "",
        )
        if not question or not self._memory.documents:  # nothing learnt yet
            return ""
        route = await asyncio.to_thread(self.decide, question)
        self._last_route = route
        if not route.use_memory:  # not about what the memory learnt: it stays silent
            return ""
        answer = await asyncio.to_thread(self.recall, question, route)
        if not answer.text or math.exp(answer.mean_logprob) < self.min_confidence:
            return ""
        return self.recall_template.format(question=question, answer=answer.text)

    # --- consolidation
    async def _aput(self, messages: list[ChatMessage]) -> None:
        count = self.enqueue(messages)
        if self._worker is not None:
            self._worker.notify()
        elif self.consolidate_every and count >= self.consolidate_every:
            await asyncio.to_thread(self.consolidate)

    def enqueue(self, messages: list[ChatMessage]) -> int:
        """Queue messages for consolidation (roles not in ``roles`` are skipped)."""
        kept = [m for m in messages if m.role.value in self.roles and message_text(m)]
        with self._queue_lock:
            self._queue.extend(kept)
            return len(self._queue)

    def consolidate(self) -> ConsolidationResult | None:
        """Train the queued messages into the memory now; None when nothing is queued."""
        with self._queue_lock:
            batch, self._queue = self._queue, []
        if not batch:
            return None
        session = batch[0].additional_kwargs.get("session_id", "conversation")
        document = Document(source=f"chat:{session}:{time.time():.0f}", text=transcript(batch))
        try:
            result = consolidate(
                self._memory, [document], store=self._store, config=self.consolidation_config
            )
        except BaseException:
            with self._queue_lock:  # keep the messages for the next attempt
                self._queue[:0] = batch
            raise
        self._results.append(result)
        return result

    def start_worker(self, delay_s: float = 0.0) -> ConsolidationWorker:
        """Consolidate in a background thread whenever messages are flushed to the block."""
        if self._worker is None:
            self._worker = ConsolidationWorker(self, delay_s)
        if self.pending:
            self._worker.notify()
        return self._worker

    def stop_worker(self, timeout: float | None = None) -> None:
        if self._worker is not None:
            self._worker.stop(timeout)
            self._worker = None
