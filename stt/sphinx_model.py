"""Reading pocketsphinx's acoustic model files for SphinxTrain's adaptation tools.

pocketsphinx ships its mixture weights quantised (`sendump`); SphinxTrain's `bw` reads the
Sphinx-III `mixture_weights` format. This is a Python 3 port of SphinxTrain's `sendump.py`
and `s3mixw.py` (which are Python 2 in Debian), plus the model's `feat.params`.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_LOG_BASE = 1.0001  # pocketsphinx stores -log_1.0001(weight) >> mixw_shift in a byte


def read_feat_params(model_dir: Path) -> dict[str, str]:
    """The model's feature parameters: {"lowerf": "130", "feat": "1s_c_d_dd", ...}."""
    params: dict[str, str] = {}
    for line in (Path(model_dir) / "feat.params").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("-"):
            params[parts[0][1:]] = parts[1]
    return params


def read_sendump(path: Path) -> np.ndarray:
    """Mixture weights from a pocketsphinx `sendump`: float array [senone, stream, density]."""
    data = Path(path).read_bytes()
    pos = 0
    fmt = "<I"

    def u32() -> int:
        nonlocal pos, fmt
        n = struct.unpack_from(fmt, data, pos)[0]
        if n > 65536 and fmt == "<I":  # the first length tells the byte order
            fmt = ">I"
            n = struct.unpack_from(fmt, data, pos)[0]
        pos += 4
        return n

    def text() -> str | None:
        nonlocal pos
        n = u32()
        if n == 0:
            return None
        s = data[pos : pos + n - 1].decode("ascii", "replace")
        pos += n
        return s

    text()  # title
    header: dict[str, int] = {}
    while (line := text()) is not None:
        key, *value = line.split()
        if value and value[0].isdigit():
            header[key] = int(value[0])
    if header.get("cluster_count", 0) != 0:
        raise ValueError(f"{path}: clustered mixture weights are not supported")
    shift = header.get("mixw_shift", 10)
    n_feat = header["feature_count"]
    n_density = u32()
    n_senone = u32()
    weights = np.empty((n_senone, n_feat, n_density))
    for f in range(n_feat):
        for d in range(n_density):
            q = np.frombuffer(data, "B", n_senone, pos).astype(np.int64) << shift
            pos += n_senone
            weights[:, f, d] = np.power(_LOG_BASE, -q)
    return weights


def write_mixture_weights(path: Path, weights: np.ndarray) -> None:
    """Write a [senone, stream, density] array as a Sphinx-III `mixture_weights` file."""
    header = b"s3\nversion 1.0\n"
    pad = (len(header) + len(b"endhdr\n")) & 3
    header += (b" " * (4 - pad) if pad else b"") + b"endhdr\n"
    d1, d2, d3 = weights.shape
    with open(path, "wb") as fh:
        fh.write(header)
        fh.write(struct.pack("=i", 0x11223344))  # byte-order mark
        fh.write(struct.pack("=IIII", d1, d2, d3, d1 * d2 * d3))
        fh.write(np.ascontiguousarray(weights, dtype="=f4").tobytes())
