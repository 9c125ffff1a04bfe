"""`lantau devnet`'s options refused before anything starts: nothing is written to the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli import app


@pytest.mark.parametrize("seconds", ["0", "-1", "0.5"])
def test_an_l1_block_time_that_is_not_a_whole_positive_second_is_refused(tmp_path: Path, seconds: str) -> None:
    """anvil mines at whole seconds: 0, a negative or a fractional `--l1-block-time` is refused,
    naming the option, and the data dir is never made."""
    data_dir = tmp_path / "devnet"
    result = CliRunner().invoke(app, ["devnet", "--data-dir", str(data_dir), "--no-sample", "--l1-block-time", seconds])
    assert result.exit_code == 2 and "--l1-block-time" in result.output, result.output
    assert not data_dir.exists()
