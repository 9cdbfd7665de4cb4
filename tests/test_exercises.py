"""The exercises' helpers: self-check messages and the unfinished-exercise error."""

import pytest
import torch

from vae_lib.exercises import check_close

pytestmark = pytest.mark.notebooks()  # every notebook: make test-one runs these for each


def test_unfinished_exercise_names_itself():
    from vae_lib.exercises import unfinished

    def toy_elbo(mu, Sigma):
        raise unfinished()

    with pytest.raises(NotImplementedError, match="Exercise `toy_elbo` is not done yet"):
        toy_elbo(0, 1)


def test_unfinished_method_names_its_class():
    from vae_lib.exercises import unfinished

    class MyVAE:
        def encode(self, x):
            raise unfinished()

    with pytest.raises(NotImplementedError, match="Exercise `MyVAE.encode` is not done yet"):
        MyVAE().encode(0)


def test_check_close_explains_what_is_wrong(capsys):
    check_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]), name="x", hint="h")
    assert "x: correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"expected 2, got 3 .*Hint: add"):
        check_close(torch.tensor([1.0, 3.0]), torch.tensor([1.0, 2.0]), name="x", hint="add")
    with pytest.raises(AssertionError, match="shape"):
        check_close(torch.zeros(3), torch.zeros(2), name="x", hint="h")
    with pytest.raises(AssertionError, match="return"):
        check_close(None, torch.zeros(2), name="x", hint="h")
    with pytest.raises(AssertionError, match="NaN"):
        check_close(torch.tensor([float("nan")]), torch.zeros(1), name="x", hint="h")
