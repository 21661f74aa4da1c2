"""Under multi_worker only the chief writes outputs; which process that is comes from TF_CONFIG."""
import json

import pytest

from newscat.train.distribute import is_chief

CLUSTER = {"worker": ["host1:2222", "host2:2222"]}


@pytest.mark.parametrize("config, chief", [
    (None, True),                                                              # no TF_CONFIG: one process
    ({"cluster": CLUSTER, "task": {"type": "worker", "index": 0}}, True),
    ({"cluster": CLUSTER, "task": {"type": "worker", "index": 1}}, False),
    ({"cluster": {**CLUSTER, "chief": ["host0:2222"]}, "task": {"type": "chief", "index": 0}}, True),
    ({"cluster": {**CLUSTER, "chief": ["host0:2222"]}, "task": {"type": "worker", "index": 0}}, False),
])
def test_chief_is_read_from_tf_config(monkeypatch, config, chief):
    if config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert is_chief() is chief
