#!/usr/bin/python3
"""PyTorch side of the score-variants benchmark (bench/variants/run.sh), and its inputs.

    pytorch_score_variants.py make DIR NAME VARIANTS [clustered]
                                                        a model (DeepSEA or DeepSEA-small, causeway's
                                                        seqcnn_init weights), a random genome (indexed)
                                                        and a VCF of VARIANTS SNVs in DIR, spread over the
                                                        genome, or with `clustered` in loci of 10 within
                                                        100 bases (NAME_clustered.vcf, the model linked)
    pytorch_score_variants.py score DIR NAME SAMPLES SEED [OUT.tsv]
                                                        scores every SNV of DIR/NAME.vcf the way a PyTorch
                                                        user would: the window centred on each variant
                                                        (start = pos0 - L // 2, N beyond the ends), batches
                                                        of reference and alternate windows, full forwards
                                                        under each MC sample's masks (causeway's masks,
                                                        shared by every sequence of the sample), the
                                                        paper's effect and se; the forward run the fastest
                                                        way bench/seqcnn/pytorch_modes.py measured
                                                        (PYTORCH_MODE overrides it)

`score` prints one line: variants/s over the scoring (masks made and inputs read beforehand, not timed).
With OUT it writes `chrom pos alt task effect se` for a cross-check against causeway's TSV.
"""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "seqcnn"))
from seqcnn_reference import (SeqCNN, counter_init, counter_keep, load_seqcnn, model_metadata,  # noqa: E402
                              save_safetensors, site_shapes)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "seqcnn"))
from pytorch_modes import forward_function  # noqa: E402

BATCH = 64  # variants per forward (2 x BATCH sequences: references and alternates)

MODELS = {
    # name: L, channels, kernels, pools, dense units, conv dropout, dense dropout
    "deepsea": (1000, [320, 480, 960], [8, 8, 8], [4, 4, 1], [925, 919], [0.2, 0.2, 0.5], [0.0]),
    "deepsea_small": (400, [64, 96, 128], [8, 8, 8], [4, 4, 1], [128, 32], [0.2, 0.2, 0.5], [0.0]),
}


def make(folder, name, variants, clustered=False):
    os.makedirs(folder, exist_ok=True)
    length, channels, kernels, pools, units, conv_p, dense_p = MODELS[name]
    model = SeqCNN(length, channels, kernels, pools, units, conv_p, dense_p, "threshold", "valid")
    counter_init(model, 1)
    tasks = [f"task{t}" for t in range(units[-1])]
    save_safetensors(os.path.join(folder, name + ".model.safetensors"), model.state_dict(),
                     model_metadata(model, tasks))
    rng = np.random.default_rng(2026)
    chroms = {"chr1": 2_000_000, "chr2": 1_000_000}
    with open(os.path.join(folder, "genome.fa"), "w") as fa, open(os.path.join(folder, "genome.fa.fai"), "w") as fai:
        offset = 0
        for chrom, n in chroms.items():
            bases = "".join(np.array(list("ACGT"))[rng.integers(0, 4, n)])
            header = f">{chrom}\n"
            fa.write(header + bases + "\n")
            fai.write(f"{chrom}\t{n}\t{offset + len(header)}\t{n}\t{n + 1}\n")
            offset += len(header) + n + 1
    genome = read_fasta(os.path.join(folder, "genome.fa"))
    positions = sorted((c, int(p)) for c in chroms for p in rng.integers(1, chroms[c] + 1, variants // len(chroms)))
    if clustered:  # distinct positions: loci of up to 10 variants within 100 bases
        positions = sorted({("chr1", int(locus + offset)) for locus in rng.integers(1000, 1_999_000, variants // 10)
                            for offset in rng.integers(0, 100, 10)})
        os.symlink(name + ".model.safetensors", os.path.join(folder, name + "_clustered.model.safetensors"))
        name += "_clustered"
    with open(os.path.join(folder, name + ".vcf"), "w") as vcf:
        vcf.write("##fileformat=VCFv4.2\n" + "".join(f"##contig=<ID={c},length={n}>\n" for c, n in chroms.items()))
        vcf.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for i, (chrom, pos) in enumerate(positions):
            ref = genome[chrom][pos - 1]
            alt = "ACGT"[("ACGT".index(ref) + 1 + i % 3) % 4]
            vcf.write(f"{chrom}\t{pos}\tv{i}\t{ref}\t{alt}\t.\tPASS\t.\n")


def read_fasta(path):
    genome, name = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                name = line[1:].split()[0]
                genome[name] = []
            else:
                genome[name].append(line.upper())
    return {k: "".join(v) for k, v in genome.items()}


def one_hot(bases):
    x = np.zeros((4, len(bases)), dtype=np.float32)
    codes = np.frombuffer(bases.encode(), dtype=np.uint8)
    for b, letter in enumerate(b"ACGT"):
        x[b, codes == letter] = 1
    return x


def score(folder, name, samples, seed, out=None):
    torch.set_num_threads(2)
    model, tasks = load_seqcnn(os.path.join(folder, name + ".model.safetensors"))
    model.eval()
    genome = read_fasta(os.path.join(folder, "genome.fa"))
    length = model.sequence_length
    variants = []
    with open(os.path.join(folder, name + ".vcf")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            chrom, pos, _, ref, alt = line.split("\t")[:5]
            variants.append((chrom, int(pos), ref, alt))
    refs = np.zeros((len(variants), 4, length), dtype=np.float32)
    for i, (chrom, pos, ref, alt) in enumerate(variants):
        start = pos - 1 - length // 2
        seq = genome[chrom]
        window = "N" * max(0, -start) + seq[max(0, start):start + length]
        refs[i] = one_hot(window + "N" * (length - len(window)))
    alts = refs.copy()
    for i, (chrom, pos, ref, alt) in enumerate(variants):
        alts[i, :, length // 2] = 0
        alts[i, "ACGT".index(alt), length // 2] = 1
    refs, alts = torch.from_numpy(refs), torch.from_numpy(alts)
    # One mask per site and sample, broadcast over the batch (shared by every sequence of the sample).
    probabilities = [p for p in model.conv_dropout] + [p for p in model.dense_dropout]
    masks = []
    for n in range(max(samples, 1)):
        masks.append([None if p == 0 or samples == 0 else counter_keep(seed, n, site, shape[1:], p).float()[None]
                      for site, (shape, p) in enumerate(zip(site_shapes(model, 1), probabilities))])
    count = len(variants)
    passes = max(samples, 1)
    effect = torch.zeros(count, len(tasks), dtype=torch.float64)
    squares = torch.zeros_like(effect)
    forward = forward_function(model, torch.cat([refs[:BATCH], alts[:BATCH]]), masks[0] if samples else None)
    start_time = time.perf_counter()
    with torch.no_grad():
        for n in range(passes):
            for b in range(0, count, BATCH):
                x = torch.cat([refs[b:b + BATCH], alts[b:b + BATCH]])
                p = forward(x, masks[n] if samples else None).double()
                d = p[len(x) // 2:] - p[:len(x) // 2]
                effect[b:b + BATCH] += d
                squares[b:b + BATCH] += d * d
    seconds = time.perf_counter() - start_time
    effect /= passes
    se = (squares / passes - effect * effect).clamp(min=0).sqrt() if samples else torch.zeros_like(effect)
    print(f"pytorch {name} samples={samples} variants={count}: {seconds:.3f} s, {count / seconds:.2f} variants/s")
    if out:
        with open(out, "w") as f:
            f.write("chrom\tpos\talt\ttask\teffect\tse\n")
            for i, (chrom, pos, ref, alt) in enumerate(variants):
                for t, task in enumerate(tasks):
                    f.write(f"{chrom}\t{pos}\t{alt}\t{task}\t{effect[i, t]:.9g}\t{se[i, t]:.9g}\n")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], int(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "clustered")
    else:
        score(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] if len(sys.argv) > 6 else None)
