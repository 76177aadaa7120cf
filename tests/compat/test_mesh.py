import numpy as np
import pytest

from ploteries.compat.mesh import encode_mesh, encode_mesh_config

RNG = np.random.default_rng(0)
VERTS = RNG.normal(size=(2, 5, 3)).astype(np.float32)
COLORS = RNG.integers(0, 256, size=(2, 5, 3))
FACES = RNG.integers(0, 5, size=(2, 4, 3))


def tb_mesh(summary, vertices, colors, faces, config):
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData

    names = {MeshPluginData.VERTEX: "vertices", MeshPluginData.FACE: "faces", MeshPluginData.COLOR: "colors"}
    out = {}
    for value in summary.mesh("m", vertices, colors, faces, config).value:
        data = metadata.parse_plugin_metadata(value.metadata.plugin_data.content)
        shape = [d.size for d in value.tensor.tensor_shape.dim]
        out[names[data.content_type]] = (np.array(value.tensor.float_val).reshape(shape), data.json_config)
    return out


@pytest.mark.parametrize(
    "with_colors, with_faces", [(True, True), (False, True), (True, False), (False, False)]
)
def test_matches_torch(tb_summary, torch, with_colors, with_faces):
    colors = torch.tensor(COLORS) if with_colors else None
    faces = torch.tensor(FACES) if with_faces else None
    config = {"camera": {"cls": "PerspectiveCamera", "fov": 75}}
    expected = tb_mesh(tb_summary, torch.tensor(VERTS), colors, faces, config)
    parts = encode_mesh(torch.tensor(VERTS), colors, faces)
    assert sorted(parts) == sorted(expected)
    for name, (values, json_config) in expected.items():
        np.testing.assert_array_equal(parts[name], values.astype(parts[name].dtype))
        assert json_config == '{"camera": {"cls": "PerspectiveCamera", "fov": 75}}'
    assert parts["vertices"].dtype == np.float32
    if with_colors:
        assert parts["colors"].dtype == np.uint8
    if with_faces:
        assert parts["faces"].dtype == np.int32


def test_colors_clipped():
    parts = encode_mesh(VERTS[:1, :1], colors=[[[-5, 300, 128.7]]])
    assert parts["colors"].tolist() == [[[0, 255, 128]]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(vertices=np.zeros((5, 3))),
            r"vertices must have shape \(B, N, 3\) with x, y, z per vertex, got shape \(5, 3\)",
        ),
        (dict(vertices=np.zeros((1, 5, 2))), r"vertices must have shape \(B, N, 3\)"),
        (dict(colors=np.zeros((2, 4, 3))), r"colors must give one color per vertex: shape \(2, 4, 3\)"),
        (dict(faces=np.zeros((1, 4, 3))), r"faces batch size 1 differs from vertices batch size 2"),
        (
            dict(faces=np.full((2, 1, 3), 5)),
            r"faces must hold integer vertex indices in \[0, 4\], got values in \[5, 5\]",
        ),
        (dict(faces=np.full((2, 1, 3), 0.5)), r"faces must hold integer vertex indices"),
    ],
)
def test_errors(kwargs, match):
    args = dict(vertices=VERTS) | kwargs
    with pytest.raises(ValueError, match=match):
        encode_mesh(**args)


def test_config():
    assert encode_mesh_config(None) is None
    assert encode_mesh_config({"b": 1, "a": [1, 2]}) == {"a": [1, 2], "b": 1}
    with pytest.raises(TypeError, match=r"config_dict must be JSON-serializable"):
        encode_mesh_config({"a": object()})
    with pytest.raises(TypeError, match=r"config_dict must be a dict or None, got list"):
        encode_mesh_config([1])
