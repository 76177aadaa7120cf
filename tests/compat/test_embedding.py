import math

import numpy as np
import pytest

from ploteries.compat.embedding import encode_embedding, encode_embedding_metadata, encode_label_img

RNG = np.random.default_rng(0)


def tb_metadata_tsv(tmp_path, metadata, header):
    from torch.utils.tensorboard._embedding import make_tsv

    make_tsv(metadata, str(tmp_path), metadata_header=header)
    return (tmp_path / "metadata.tsv").read_text(encoding="utf-8")


def as_tsv(doc):
    lines = ([doc["header"]] if doc["header"] else []) + doc["rows"]
    return "".join("\t".join(row) + "\n" for row in lines)


@pytest.mark.parametrize(
    "metadata, header",
    [
        (["cat", "dog", 3, 4.5], None),
        ([["cat", 1], ["dog", 2], ["ant", 3], ["bee", 4]], ["name", "id"]),
        (["a", "b", "c", "d"], []),
    ],
)
def test_metadata_matches_torch_tsv(tb_summary, tmp_path, metadata, header):
    doc = encode_embedding_metadata(metadata, 4, header)
    assert as_tsv(doc) == tb_metadata_tsv(tmp_path, metadata, header)


def test_label_img_matches_torch_sprite(tb_summary, torch, tmp_path, decode_png):
    from torch.utils.tensorboard._embedding import make_sprite

    imgs = torch.rand(5, 3, 4, 6, generator=torch.Generator().manual_seed(0))
    make_sprite(imgs, str(tmp_path))
    sprite = decode_png((tmp_path / "sprite.png").read_bytes())
    out = encode_label_img(imgs, 5)
    assert out.dtype == np.uint8 and out.shape == (5, 4, 6, 3)
    nrow = math.ceil(5**0.5)
    for i in range(5):
        r, c = divmod(i, nrow)
        np.testing.assert_array_equal(out[i], sprite[r * 4 : (r + 1) * 4, c * 6 : (c + 1) * 6])


def test_label_img_gray_and_uint8():
    gray = encode_label_img(np.full((2, 1, 2, 2), 0.5))
    assert gray.shape == (2, 2, 2, 3) and np.all(gray == 127)
    u8 = np.full((1, 3, 2, 2), 200, dtype=np.uint8)
    assert np.all(encode_label_img(u8) == 200)


def test_embedding_parts(torch):
    mat = torch.randn(4, 3, dtype=torch.float64)
    parts = encode_embedding(mat, metadata=["a", "b", "c", "d"], label_img=np.zeros((4, 3, 2, 2)))
    assert sorted(parts) == ["", "label_img", "metadata"]
    assert parts[""].dtype == np.float32 and parts[""].shape == (4, 3)
    np.testing.assert_allclose(parts[""], mat.numpy(), rtol=1e-6)
    assert parts["metadata"] == {"header": None, "rows": [["a"], ["b"], ["c"], ["d"]]}
    assert parts["label_img"].shape == (4, 2, 2, 3)
    assert sorted(encode_embedding(np.zeros((2, 2)))) == [""]


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            dict(mat=np.zeros(3)),
            ValueError,
            r"mat should be 2D, where mat.shape\[0\] is the number of data points; got shape \(3,\)",
        ),
        (dict(metadata=["a"]), ValueError, r"metadata has 1 labels for 3 data points"),
        (dict(metadata="abc"), TypeError, r"metadata must be a list with one label per data point, got str"),
        (
            dict(metadata=[["a", 1], ["b"], ["c", 3]], metadata_header=["n", "i"]),
            ValueError,
            r"metadata\[1\] = \['b'\] must be a list of 2 values, one per column of metadata_header",
        ),
        (dict(label_img=np.zeros((2, 3, 4, 4))), ValueError, r"label_img has 2 images for 3 data points"),
        (
            dict(label_img=np.zeros((3, 4, 4))),
            ValueError,
            r"label_img must be 4-D \(N, C, H, W\), got shape \(3, 4, 4\)",
        ),
        (dict(label_img=np.zeros((3, 2, 4, 4))), ValueError, r"label_img must have 1, 3 or 4 channels"),
    ],
)
def test_errors(kwargs, exc, match):
    args = dict(mat=np.zeros((3, 2))) | kwargs
    with pytest.raises(exc, match=match):
        encode_embedding(**args)
