from __future__ import annotations

import socket

import pytest

from localcloud.ports import PortInUseError, ensure_free, is_listening


def test_a_taken_port_is_named_with_its_variable() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert is_listening(port)
        with pytest.raises(PortInUseError) as info:
            ensure_free("redis", port, "NOTFLIX_REDIS_PORT")
    message = str(info.value)
    assert f"port {port}" in message
    assert "redis" in message
    assert "NOTFLIX_REDIS_PORT" in message


def test_a_free_port_passes() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ensure_free("api", port, "NOTFLIX_API_PORT")
