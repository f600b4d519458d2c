"""Ingest throughput and ask latency, measured as ratios in one run on one machine
(docs/benchmarks.md § Speed).

What it measures, in this order (each step is independent of the ones after it):

1. the machine's dense float32 matmul FLOP/s (the ceiling);
2. LIFT ingest of a small fictional text with the default recipe (the segment geometry of the
   end-to-end recall test, whose bar it therefore shares): training
   tokens/s, FLOP/s achieved (counted by ``torch.utils.flop_counter`` on replayed batches),
   peak RSS;
3. the naive baseline a user would write: PEFT LoRA r=16 on every linear layer, the same model,
   the same training samples in the same batches, the same number of optimizer steps, the
   Hugging Face ``labels=`` loss — its tokens/s;
4. memory-mode answer latency (p50 over ≥ 20 questions, fixed-length generation so that answer
   length does not blur the ratio) for a memory of a 1k-token and of a 64k-token corpus;
5. full-context ICL latency at 4k and 8k prompt tokens (base model), against memory mode;
6. adapter bytes against base-model bytes.

``run.run_perf(out_dir, quick=True)`` does the same on a tiny random model in seconds (the CI
test). Run it: ``lift-memory bench --perf`` or ``python -m lift_memory_bench.perf``.

One module per concept: ``profile`` (sizes), ``text`` (the invented corpus), ``machine`` (matmul
FLOP/s, peak RSS), ``training`` (LIFT ingest vs the plain LoRA loop, counted FLOPs), ``latency``
(memory mode and full-context ICL), ``run`` (all of it, in order), ``report`` (perf.md).
"""
