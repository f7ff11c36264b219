"""leafx.explain_attention (the bolt-on level) against values computed here from the
definitions of docs/methods.md, "Baselines", on attention that did not come from leafx's
engine."""
import numpy as np
import pytest


def decoder_only_toy():
    """1 layer, 2 heads, 3 queries, 6 keys of which 2..4 are audio (Tests/c/test_explain.c)."""
    row = np.array([[0.10, 0.10, 0.50, 0.20, 0.05, 0.05], [0.00, 0.20, 0.10, 0.10, 0.40, 0.20]], np.float32)
    return np.broadcast_to(row[None, :, None, :], (1, 2, 3, 6)).copy()


def test_raa_on_audio_pseudo_tokens(leafx):
    out = leafx.explain_attention(decoder_only_toy(), [2], audio_range=(2, 5), token_ids=[1234],
                                  frame_seconds=0.04, first_frame=100, method="raa")
    expected = np.array([0.30, 0.15, 0.225]) / 0.675
    np.testing.assert_allclose(out.attributions, expected[None], rtol=1e-6)
    assert out.first_frame == 100 and out.frame_seconds == 0.04 and out.token_ids == [1234]


def test_raa_mean_over_random_layers(leafx):
    """raa-mean: the mean over layers and heads of each explained row, over the audio keys."""
    rng = np.random.default_rng(7)
    cross = rng.random((3, 4, 5, 12)).astype(np.float32)
    cross /= cross.sum(axis=-1, keepdims=True)
    rows = [1, 3, 4]
    out = leafx.explain_attention(cross, rows, method="raa-mean")
    expected = cross[:, :, rows, :].mean(axis=(0, 1))
    expected /= expected.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(out.attributions, expected, rtol=1e-5, atol=1e-7)
    assert out.token_ids == [-1, -1, -1]


def test_bad_inputs_name_the_argument(leafx):
    with pytest.raises(leafx.InvalidArgumentError, match="cross_attention has shape"):
        leafx.explain_attention(np.zeros((2, 3, 4)), [0])
    with pytest.raises(leafx.InvalidArgumentError, match="self_attention has shape"):
        leafx.explain_attention(decoder_only_toy(), [2], self_attention=np.zeros((1, 2, 3, 4)))
    with pytest.raises(leafx.InvalidArgumentError, match="non-negative"):
        leafx.explain_attention(decoder_only_toy(), [-1])
    with pytest.raises(leafx.InvalidArgumentError) as error:  # checked by the library
        leafx.explain_attention(decoder_only_toy(), [3])
    assert "rows" in str(error.value) and str(error.value).startswith("leafx_explain_attention")
    with pytest.raises(leafx.InvalidArgumentError, match="gradient"):
        leafx.explain_attention(decoder_only_toy(), [2], method="grad-rollout")
