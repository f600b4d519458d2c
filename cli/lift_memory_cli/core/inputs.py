"""Reading what `lift-memory ingest` is given: files, folders (through LlamaIndex's
``SimpleDirectoryReader``) and ``-`` for stdin.

Text files must be UTF-8; a file that is binary, undecodable or empty is refused with a
one-line :class:`InputError` naming it, instead of being silently skipped or mangled.
Folders are searched recursively for the supported extensions; hidden files are skipped, and so
are symlinks that lead out of the folder (with a warning): ingesting ``notes/`` must not read
``~/.ssh`` through a link someone left there.

The whole corpus is tokenized and trained in memory, so inputs are size-checked before anything
is read (``stat``, and a bounded read of stdin): over ``max_bytes`` they are refused with a
one-line error naming ``--max-input-mb``, and memory stays bounded whatever the file size.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lift_memory.documents import Document
from lift_memory_cli.core.errors import InputError

STDIN = "-"
STDIN_SOURCE = "<stdin>"
TEXT_EXTENSIONS = (".txt", ".md", ".markdown", ".text", ".rst")
HTML_EXTENSIONS = (".html", ".htm")
PDF_EXTENSIONS = (".pdf",)
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS + HTML_EXTENSIONS + PDF_EXTENSIONS
SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS)
_SNIFF_BYTES = 8192
# ~5M tokens: days of CPU training for the default model; --max-input-mb raises or lifts it.
DEFAULT_MAX_INPUT_MB = 20
_MB = 1_000_000
_STDIN_CHUNK = 1 << 20

Warn = Callable[[str], None]


def max_input_bytes(megabytes: float | None) -> int | None:
    """The byte limit for ``--max-input-mb`` (None or 0: no limit)."""
    if megabytes is None or megabytes <= 0:
        return None
    return int(megabytes * _MB)


def _too_big(what: str, max_bytes: int) -> InputError:
    return InputError(
        f"{what}, over the {max_bytes / _MB:g} MB input limit (the whole "
        f"corpus is tokenized and trained in memory); split it into smaller memories, or raise "
        f"the limit with --max-input-mb N (0: no limit)"
    )


def _check_total(sizes: dict[str, int], max_bytes: int | None) -> None:
    if max_bytes is None:
        return
    total = sum(sizes.values())
    if total <= max_bytes:
        return
    biggest = max(sizes, key=sizes.__getitem__)
    if sizes[biggest] > max_bytes:
        raise _too_big(f"{biggest} is {sizes[biggest] / _MB:,.1f} MB", max_bytes)
    raise _too_big(f"the {len(sizes)} inputs total {total / _MB:,.1f} MB", max_bytes)


def check_paths(paths: list[str], max_bytes: int | None = None) -> list[str]:
    """Fail fast (before any heavy import) on a missing path, a repeated ``-`` or files named
    explicitly that are over ``max_bytes`` together."""
    if not paths:
        raise InputError("nothing to ingest: give files, folders or - for stdin")
    if paths.count(STDIN) > 1:
        raise InputError("'-' (stdin) can be given only once")
    for raw in paths:
        if raw == STDIN:
            continue
        path = Path(raw).expanduser()
        if not path.exists():
            raise InputError(f"no such file or folder: {raw}")
        if not (path.is_file() or path.is_dir()):
            raise InputError(f"not a regular file or folder: {raw}")
    _check_total(
        {raw: Path(raw).expanduser().stat().st_size for raw in paths if _sized(raw)}, max_bytes
    )
    return paths


def _sized(raw: str) -> bool:
    # PDFs are mostly images and fonts: their limit applies to the extracted text instead.
    if raw == STDIN:
        return False
    path = Path(raw).expanduser()
    return path.is_file() and path.suffix.lower() not in PDF_EXTENSIONS


def _read_stdin(stream: Any, budget: int | None, limit: int) -> bytes:
    """Read stdin in chunks, stopping one chunk past ``budget`` (what the files left of
    ``limit``): memory stays bounded."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_STDIN_CHUNK)
        if not chunk:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        chunks.append(chunk)
        size += len(chunk)
        if budget is not None and size > budget:
            raise _too_big("stdin is too big", limit)
    return b"".join(chunks)


def decode_text(data: bytes, source: str, *, allow_empty: bool = False) -> str:
    """UTF-8 text of ``data``, or an InputError for binary / undecodable / empty input."""
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputError(
            f"{source} is a binary file, not text; give UTF-8 text or one of {SUPPORTED_TEXT}"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{source} is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); convert it to UTF-8 first, e.g. with iconv"
        ) from None
    if not text.strip() and not allow_empty:
        raise InputError(f"{source} is empty; there is nothing to ingest")
    return text


def _readers() -> dict[str, Any]:
    """SimpleDirectoryReader file extractors: strict UTF-8 text, HTML text, whole PDFs."""
    from llama_index.core import Document as LlamaDocument
    from llama_index.core.readers.base import BaseReader

    class StrictTextReader(BaseReader):
        """Plain text and Markdown, as UTF-8; refuses binary or undecodable files."""

        def load_data(self, file: Path, extra_info: dict | None = None) -> list[LlamaDocument]:
            # emptiness is judged later: an empty file inside a folder is only skipped
            text = decode_text(Path(file).read_bytes(), str(file), allow_empty=True)
            return [LlamaDocument(text=text, metadata=dict(extra_info or {}))]

    class HtmlTextReader(BaseReader):
        """The visible text of an HTML page (scripts, styles and markup removed)."""

        def load_data(self, file: Path, extra_info: dict | None = None) -> list[LlamaDocument]:
            from bs4 import BeautifulSoup

            data = Path(file).read_bytes()
            if b"\x00" in data[:_SNIFF_BYTES]:
                raise InputError(f"{file} is a binary file, not HTML")
            soup = BeautifulSoup(data, "html.parser")
            for tag in soup(["script", "style", "noscript", "template"]):
                tag.decompose()
            lines = (line.strip() for line in soup.get_text("\n").splitlines())
            text = "\n".join(line for line in lines if line)
            return [LlamaDocument(text=text, metadata=dict(extra_info or {}))]

    class WholePdfReader(BaseReader):
        """All pages of a PDF as one document."""

        def load_data(self, file: Path, extra_info: dict | None = None) -> list[LlamaDocument]:
            from llama_index.readers.file import PDFReader

            try:
                return PDFReader(return_full_document=True).load_data(
                    Path(file), extra_info=extra_info
                )
            except Exception as error:
                raise InputError(f"{file} is not a readable PDF ({error})") from None

    text, html, pdf = StrictTextReader(), HtmlTextReader(), WholePdfReader()
    return {
        **{ext: text for ext in TEXT_EXTENSIONS},
        **{ext: html for ext in HTML_EXTENSIONS},
        **{ext: pdf for ext in PDF_EXTENSIONS},
    }


def _folder_files(folder: Path, raw: str, warn: Warn) -> list[Path]:
    from llama_index.core import SimpleDirectoryReader

    try:
        reader = SimpleDirectoryReader(
            input_dir=str(folder), recursive=True, required_exts=list(SUPPORTED_EXTENSIONS)
        )
    except ValueError:  # "No files found in ..."
        raise InputError(f"folder {raw} has no {SUPPORTED_TEXT} files") from None
    root = folder.resolve()
    files: list[Path] = []
    for file in (Path(p) for p in reader.input_files):
        shown = _shown_in_folder(raw, folder, file)
        target = file.resolve()
        if not target.is_file():
            warn(f"skipped {shown}: a broken symlink")
        elif not target.is_relative_to(root):
            warn(f"skipped {shown}: a symlink to {target}, outside the folder {raw}")
        else:
            files.append(file)
    if not files:
        raise InputError(f"folder {raw} has no {SUPPORTED_TEXT} files inside it")
    return files


def _shown_in_folder(raw: str, folder: Path, file: Path) -> str:
    for base in (folder, folder.resolve()):
        try:
            return str(Path(raw) / file.relative_to(base))
        except ValueError:
            continue
    return str(file)


def _load_files(files: list[Path], shown: dict[Path, str]) -> dict[Path, str]:
    """Text per file, read by SimpleDirectoryReader with this module's strict extractors."""
    from llama_index.core import SimpleDirectoryReader

    readers = _readers()
    text_reader = readers[".txt"]
    # Anything named explicitly is read as text unless it is PDF or HTML (and then refused
    # if it turns out binary): a `notes` without extension or a `.csv` is still text.
    extractors = {
        path.suffix.lower(): readers.get(path.suffix.lower(), text_reader) for path in files
    }
    reader = SimpleDirectoryReader(
        input_files=[str(p) for p in files],
        file_extractor=extractors,
        raise_on_error=True,
        exclude_hidden=False,
    )
    texts: dict[Path, list[str]] = {}
    for path in files:
        try:
            documents = reader.load_file(
                path,
                file_metadata=lambda _p: {},
                file_extractor=extractors,
                raise_on_error=True,
            )
        except InputError:
            raise
        except Exception as error:
            cause = error.__cause__ or error
            if isinstance(cause, InputError):
                raise cause from None
            raise InputError(
                f"cannot read {shown[path]} ({type(cause).__name__}: {cause})"
            ) from None
        texts[path] = [d.text for d in documents]
    result = {}
    for path, parts in texts.items():
        text = "\n\n".join(part for part in parts if part.strip())
        result[path] = text
    return result


def read_inputs(
    paths: list[str],
    *,
    stdin: Any = None,
    max_bytes: int | None = None,
    warn: Warn | None = None,
) -> list[Document]:
    """Documents for ``paths`` in the order given (folders: sorted), ``-`` reads stdin.

    A file named explicitly must have text; an empty file inside a folder is skipped, but a
    folder with nothing but empty files is refused. Inputs over ``max_bytes`` together are
    refused before they are read; skipped files are reported through ``warn``.
    """
    warn = warn or (lambda _message: None)
    check_paths(paths, max_bytes)
    ordered: list[tuple[str, Path | None]] = []  # (raw argument, file) ; file None for stdin
    from_folder: set[Path] = set()
    shown: dict[Path, str] = {}
    for raw in paths:
        if raw == STDIN:
            ordered.append((raw, None))
            continue
        path = Path(raw).expanduser()
        if path.is_dir():
            files = _folder_files(path, raw, warn)
            for file in files:
                ordered.append((raw, file))
                from_folder.add(file)
                shown[file] = _shown_in_folder(raw, path, file)
        else:
            ordered.append((raw, path))
            shown[path] = raw
    files = [file for _, file in ordered if file is not None]
    sizes = {shown[f]: f.stat().st_size for f in dict.fromkeys(files) if _sized(str(f))}
    _check_total(sizes, max_bytes)  # folders included, still before reading a byte
    texts = _load_files(files, shown) if files else {}
    documents: list[Document] = []
    seen: set[Path] = set()
    for _raw, file in ordered:
        if file is None:
            stream = stdin if stdin is not None else sys.stdin.buffer
            budget = None if max_bytes is None else max(0, max_bytes - sum(sizes.values()))
            data = _read_stdin(stream, budget, max_bytes or 0)
            documents.append(Document(STDIN_SOURCE, decode_text(data, "stdin")))
            continue
        if file in seen:
            continue
        seen.add(file)
        text = texts[file]
        if not text.strip():
            if file in from_folder:
                continue
            raise InputError(f"{shown[file]} is empty; there is nothing to ingest")
        documents.append(Document(shown[file], text))
    if not documents:
        raise InputError(f"nothing to ingest: every file in {' '.join(paths)} is empty")
    if max_bytes is not None:  # PDFs count by their text
        _check_total({d.source: len(d.text.encode("utf-8")) for d in documents}, max_bytes)
    return documents
