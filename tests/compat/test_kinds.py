"""One registry of kinds (ploteries.storage.kinds): it covers what the writer and the TensorBoard import produce,
the viewer's cards and docs/kinds.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ploteries
from ploteries.compat.tb_import import import_logdir
from ploteries.figures.cards import BUILTIN_CARDS
from ploteries.storage.kinds import KINDS, RESERVED_TAGS, kind_of_tag
from tests.compat import test_parity

torch = pytest.importorskip("torch")
pytest.importorskip("tensorboard")

MEDIA_CASES = (test_parity.images, test_parity.boxes, test_parity.media_others)


def series_of(databases) -> list:
    out = []
    for path in databases:
        with ploteries.open(path) as db:
            out += db.series()
    return out


def assert_in_registry(infos) -> set[str]:
    for info in infos:
        assert info.kind in KINDS, (
            f"{info.tag!r} has kind {info.kind!r}, missing from ploteries.storage.kinds"
        )
        assert info.part in KINDS[info.kind].parts, f"part {info.part!r} of {info.kind} {info.tag!r}"
        assert kind_of_tag(info.tag) in (None, info.kind), f"reserved tag {info.tag!r} holds {info.kind}"
        if KINDS[info.kind].tags:
            assert info.tag in KINDS[info.kind].tags
    return {info.kind for info in infos}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every case of the parity tests logged through both writers (and the media cases with media_dir)."""
    from ploteries.testing.dual import DualSession

    session = DualSession(tmp_path_factory.mktemp("kinds"))
    w = session.writer("run")
    for log in test_parity.CASES:
        log(w)
    w.add_embedding(torch.rand(4, 3), label_img=torch.rand(4, 3, 2, 2), tag="with_images")
    media = session.writer("media", ploteries_kwargs={"media_dir": "media"})
    for log in MEDIA_CASES:
        log(media)
    session.close()
    return session


def test_the_registry_covers_every_kind_and_part_the_writer_produces(written):
    infos = series_of(ploteries.find_databases(written.ploteries_dir))
    assert assert_in_registry(infos) == set(KINDS)  # and the writer produces every kind of the registry
    assert {(i.kind, i.part) for i in infos} == {(k.name, p) for k in KINDS.values() for p in k.parts}


def test_the_registry_covers_what_the_tensorboard_import_produces(written, tmp_path):
    out = tmp_path / "imported.h5"
    import_logdir(written.tensorboard_dir, out)
    kinds = assert_in_registry(series_of([out]))
    assert kinds >= {"scalar", "histogram", "image", "audio", "text", "pr_curve", "mesh", "hparams", "graph"}


def test_every_kind_names_a_card_of_the_viewer_and_reserved_tags_are_unique():
    assert {k.card for k in KINDS.values()} <= set(BUILTIN_CARDS)
    tags = [t for k in KINDS.values() for t in k.tags]
    assert len(tags) == len(set(tags)) == len(RESERVED_TAGS)
    assert all(k.encoding in ("array", "text", "json") for k in KINDS.values())


def test_viewer_default_cards_follow_the_registry():
    from ploteries.viz.cards import builtin_card_types, card_for_kind

    types = builtin_card_types()
    assert {name: card_for_kind(types, name).name for name in KINDS} == {
        k.name: k.card for k in KINDS.values()
    }


def test_docs_kinds_md_lists_the_same_kinds_and_parts():
    doc = (Path(__file__).parents[2] / "docs" / "kinds.md").read_text()
    rows = [line.split("|")[1:3] for line in doc.splitlines() if re.match(r"\| [a-z_]+ \| \"", line)]
    documented = {(kind.strip(), part) for kind, parts in rows for part in re.findall(r'"(\w*)"', parts)}
    assert documented == {(k.name, p) for k in KINDS.values() for p in k.parts}
    documented_kinds = [kind.strip() for kind, _ in rows]
    assert list(dict.fromkeys(documented_kinds)) == list(KINDS)  # the same order
    for tag in RESERVED_TAGS:
        assert f"`{tag}`" in doc
