#!/usr/bin/python3
"""Writes the seed corpora under tests/fuzz/corpus/ (small valid and near-valid inputs for each target).

Run from anywhere: /usr/bin/python3 tests/fuzz/make_corpus.py. Safetensors seeds are built here byte by byte
(the format is an 8-byte length, a JSON header and raw little-endian data), so no fixture has to be copied.
"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SEPARATOR = b"\n--next-file--\n"  # fuzz_input.h kFileSeparator


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata):
    """tensors: list of (name, shape, list of floats) stored as F32."""
    header = {"__metadata__": metadata} if metadata else {}
    blob = b""
    for name, shape, values in tensors:
        data = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + blob


def values(n, scale=0.01):
    return [scale * ((i * 7) % 11 - 5) for i in range(n)]


def pecnn(marks=("H3K4me3", "H3K27ac"), bins=8, hidden=2, depth=1, kernel=3, pooling="mean"):
    m = len(marks)
    tensors = []
    for i in range(depth):
        tensors.append((f"equivariant.{i}.weight", [hidden, m if i == 0 else hidden, 1, kernel],
                        values(hidden * (m if i == 0 else hidden) * kernel)))
        tensors.append((f"equivariant.{i}.bias", [hidden], values(hidden)))
    tensors.append(("invariant.weight", [hidden, hidden, 1, kernel], values(hidden * hidden * kernel)))
    tensors.append(("invariant.bias", [hidden], values(hidden)))
    tensors.append(("readout.weight", [1, 2 * hidden, 1, bins], values(2 * hidden * bins)))
    tensors.append(("readout.bias", [1], [0.5]))
    metadata = {"architecture": "pecnn", "format": "pt", "marks": ",".join(marks), "bins": str(bins),
                "hidden": str(hidden), "depth": str(depth), "kernel": str(kernel),
                "dilations": ",".join(["1"] * depth), "pooling": pooling}
    return tensors, metadata


def seqcnn(length=16, channels=(3,), kernels=(5,), pools=(2,), dense=(4, 2), activation="relu", padding="valid"):
    tensors = []
    cin, size = 4, length
    for i, (c, k, p) in enumerate(zip(channels, kernels, pools)):
        tensors.append((f"conv.{i}.weight", [c, cin, k], values(c * cin * k)))
        tensors.append((f"conv.{i}.bias", [c], values(c)))
        size = (size - k + 1 if padding == "valid" else size) // p
        cin = c
    flat = cin * size
    for j, units in enumerate(dense):
        tensors.append((f"dense.{j}.weight", [units, flat], values(units * flat)))
        tensors.append((f"dense.{j}.bias", [units], values(units)))
        flat = units
    metadata = {"architecture": "seqcnn", "format": "pt", "sequence_length": str(length), "activation": activation,
                "padding": padding, "pool": ",".join(str(p) for p in pools),
                "conv_dropout": ",".join("0.2" for _ in pools), "dense_dropout": ",".join("0.5" for _ in dense[:-1]),
                "tasks": ",".join(f"task{t}" for t in range(dense[-1]))}
    return tensors, metadata


def main():
    # safetensors: small files with different dtypes, metadata, alignment and an empty tensor.
    put("safetensors", "two_f32", safetensors([("a", [2, 3], values(6)), ("b", [1], [1.0])], {"k": "v"}))
    put("safetensors", "empty_tensor", safetensors([("e", [0, 4], [])], None))
    header = json.dumps({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
                         "y": {"dtype": "I64", "shape": [1], "data_offsets": [12, 20]}}).encode()
    put("safetensors", "unaligned", struct.pack("<Q", len(header)) + header + struct.pack("<3fq", 1, 2, 3, 4))

    # Models (pecnn, seqcnn) and their metadata alone (the model_metadata target wraps a header).
    for name, (tensors, metadata) in {"pecnn_depth1": pecnn(), "pecnn_depth2_max": pecnn(depth=2, pooling="max"),
                                      "pecnn_one_mark": pecnn(marks=("H3K36me3",), hidden=1, kernel=1)}.items():
        put("pecnn_model", name, safetensors(tensors, metadata))
        full = safetensors(tensors, metadata)
        (length,) = struct.unpack("<Q", full[:8])
        put("model_metadata", name, full[8:8 + length])
    for name, (tensors, metadata) in {
            "seqcnn_relu": seqcnn(),
            "seqcnn_threshold_same": seqcnn(activation="threshold", padding="same", channels=(2, 3), kernels=(3, 3),
                                            pools=(2, 1), dense=(3,)),
    }.items():
        put("seqcnn_model", name, safetensors(tensors, metadata))
        full = safetensors(tensors, metadata)
        (length,) = struct.unpack("<Q", full[:8])
        put("model_metadata", name, full[8:8 + length])

    # Datasets: tensors, then the gene table.
    genes, cells, marks, bins = 2, 3, 2, 8
    inputs = values(genes * cells * marks * bins, 0.1)
    targets = values(genes * cells, 1.0)
    targets[1] = float("nan")
    metadata = {"cell_types": "E003,E004,E005", "marks": "H3K4me3,H3K27ac", "bin_size": "100", "window": "800"}
    st = safetensors([("inputs", [genes, cells, marks, bins], inputs), ("targets", [genes, cells], targets)], metadata)
    table = b"gene_id\tchrom\ttss\tstrand\nENSG01\tchr1\t1000\t+\nENSG02\tchrX\t5000\t-\n"
    put("dataset", "two_genes", st + SEPARATOR + table)

    # TSV: plain, comments, NA and infinities, CRLF, gzip.
    put("tsv", "plain", "name\tvalue\na\t1.5\nb\t-2e-3\n")
    put("tsv", "comments_na", "# comment\nname\tvalue\textra\nx\tNA\t\ny\tinf\tz\n\nw\tnan\t1\n")
    put("tsv", "crlf", "name\tvalue\r\na\t3\r\n")
    put("tsv", "gzip", gzip.compress(b"name\tvalue\na\t1\n", mtime=0))
    # A NUL byte inside a line (once cut there silently), plain and compressed.
    put("tsv", "nul", b"name\tvalue\na\t1\x00junk\nb\t2\n")
    put("tsv", "nul_gzip", gzip.compress(b"name\tvalue\na\t1\nb\x00\t2\n", mtime=0))

    put("expression", "versions", "gene_id\tE003\tE004\nENSG01.5\t1.5\tNA\nENSG02\t0\t12\n")
    put("expression", "gzip", gzip.compress(b"gene_id\tcell\nENSG03.1\t4\n", mtime=0))

    # Annotations: the first byte picks the name (0 .gtf, 1 .gff3, 2 .bed, 3 by content).
    gtf = ('chr1\tHAVANA\tgene\t11869\t14409\t.\t+\t.\tgene_id "ENSG00000223972.5"; gene_type "lncRNA";\n'
           'chr1\tHAVANA\ttranscript\t11869\t14409\t.\t+\t.\tgene_id "ENSG00000223972.5";\n'
           '1\tENSEMBL\tgene\t29554\t31109\t.\t-\t.\tgene_id "ENSG00000243485";\n')
    gff = ("##gff-version 3\nchr1\tHAVANA\tgene\t11869\t14409\t.\t+\t.\tID=ENSG00000223972.5;gene_name=DDX11L1\n"
           "chr2\t.\tgene\t100\t200\t.\t-\t.\tID=gene:ENSG00000000001\n")
    bed = "chr1\t11868\t11869\tENSG00000223972\t0\t+\nchrX\t500\t501\tENSG0000009\t0\t-\n"
    put("annotation", "gtf", b"\x00" + gtf.encode())
    put("annotation", "gff3", b"\x01" + gff.encode())
    put("annotation", "bed", b"\x02" + bed.encode())
    put("annotation", "sniffed_gtf", b"\x03" + gtf.encode())
    put("annotation", "bed_nul", b"\x02" + bed.replace("\t+\nchrX", "\t+\x00\nchrX").encode())

    put("track_manifest", "tracks", "cell_type\tmark\tpath\nE003\tH3K4me3\tE003.H3K4me3.bw\nE004\tH3K4me3\t/abs.bw\n")

    # MR effects and meta estimates: the first byte holds the option bits.
    effects = "region\tvariant\tbeta_exposure\tse_exposure\tbeta_outcome\tse_outcome\n"
    for r in range(2):
        for v in range(4):
            effects += f"r{r}\tv{v}\t{0.1 + 0.05 * v:.3f}\t0.02\t{0.03 * (v + r):.3f}\t0.01\n"
    put("mr_effects", "two_regions", b"\x00" + effects.encode())
    put("mr_effects", "keep_going_na", b"\x03" + (effects + "r2\tv0\tNA\t0.1\t0.2\t0.1\n").encode())
    estimates = "group\testimate\tse\ng1\t0.1\t0.05\ng1\t0.3\t0.04\ng1\t-0.1\t0.1\ng2\t1\t0.5\ng2\t2\t0.5\n"
    for bits in range(4):
        put("meta_estimates", f"methods_{bits}", bytes([bits << 1]) + estimates.encode())
    put("meta_estimates", "keep_going", b"\x09" + (estimates + "g3\tNA\t1\n").encode())

    # Regions against the fuzzer's fixed FASTA (chr1: 120 bases, "2": 50); first byte: length - 1.
    put("regions", "named", b"\x09" + b"chr1\t40\t60\tfirst\n1\t100\t101\n# comment\ntrack name=x\nchr2\t20\t30\n")
    put("regions", "gzip", b"\x1f" + gzip.compress(b"chr1\t60\t61\n", mtime=0))
    put("regions", "nul", b"\x09" + b"chr1\t40\t60\tfirst\x00chr1\t1\t2\n")

    # Labeled regions (train-seq): byte 0 length - 1, byte 1 bit 0 tasks by name ("b,a"), then the label table
    # and the BED file joined by the fuzzer's file separator.
    labels = b"region\ta\tb\nfirst\t1\t0\nsecond\t0\t1\nthird\t1\t1\n"
    bed = b"chr1\t40\t60\tfirst\n2\t10\t30\tsecond\nchr1\t90\t100\tthird\n"
    put("labels", "all_tasks", b"\x0f\x00" + labels + SEPARATOR + bed)
    put("labels", "named_tasks", b"\x0f\x01" + labels + SEPARATOR + bed)
    put("labels", "gzip_bed", b"\x07\x00" + labels + SEPARATOR + gzip.compress(bed, mtime=0))
    put("labels", "missing_label", b"\x07\x00" + labels.replace(b"third\t1\t1\n", b"") + SEPARATOR + bed)


if __name__ == "__main__":
    main()
