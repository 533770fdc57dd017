"""Deploying new graph code under paused runs: Temporal Worker Versioning (worker deployments).

A run's topology is pinned in its history, but its nodes' code is whatever the worker that runs
them has. With worker versioning every worker declares a *version* (deployment name + build
id); the GraphRun workflow is PINNED: a run stays on the version it started on, through every
pause and resume, until it ends, so a run paused for weeks on v1 finishes with v1's nodes.
New runs go to the deployment's *current* version, which you set after the new workers poll:

    temporal worker deployment set-current-version --deployment-name NAME --build-id v2
    (or: await set_current_version(client, "NAME", "v2"))

The thread record workflow (TempographThread) is AUTO_UPGRADE: it runs no graph code, lives as
long as its thread, and would otherwise keep an old version from ever draining.

Consequences, measured on Temporal 1.32 (tests/integration/test_worker_versioning.py):

* keep v1's workers running while v1 runs are open. If they are gone, a resume of a v1 run
  waits (only a v1 worker can take the update; GraphClient keeps waiting) until a v1 worker
  polls again, and the run then finishes on it. `temporal worker deployment
  describe-version --deployment-name NAME --build-id v1` shows the drainage status: DRAINING
  while pinned runs are open, DRAINED when none is (then v1's workers can stop);
* a thread that continues as new (steps_per_run) keeps its version (measured); subgraph runs,
  child workflows on the same task queue, inherit their parent's (Temporal's documented rule
  for children of pinned runs; not measured here);
* a versioned worker takes no eager starts from a GraphClient in its process: Temporal hands an
  eagerly started run to that worker even when its version is not the current one;
* versioned and unversioned workers mixed on one task queue are not tested: use one or the
  other per task queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.api.deployment.v1 import WorkerDeploymentVersion as WorkerDeploymentVersionProto
from temporalio.api.enums.v1 import VersionDrainageStatus, WorkerDeploymentVersionStatus
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentVersionRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.worker import WorkerDeploymentConfig

__all__ = [
    "VersionState",
    "VersioningConfigError",
    "deployment_config",
    "describe_version",
    "set_current_version",
]


class VersioningConfigError(ValueError):
    """A half or conflicting worker versioning configuration."""


def deployment_config(
    deployment: str | None, build_id: str | None
) -> WorkerDeploymentConfig | None:
    """The WorkerDeploymentConfig of a worker of version (`deployment`, `build_id`), or None
    when neither is given (an unversioned worker). One without the other is refused: a worker
    with a build id but no deployment (or the reverse) would silently be unversioned."""
    if not deployment and not build_id:  # None, or empty variables
        return None
    if not deployment or not build_id:
        given, missing, flag = (
            ("deployment", "build_id", "--build-id")
            if deployment
            else ("build_id", "deployment", "--deployment")
        )
        raise VersioningConfigError(
            f"Worker versioning needs both a deployment name and a build id: {given} is set "
            f"but {missing} is not. Pass {missing}= (CLI: {flag}, or TEMPORAL_DEPLOYMENT_NAME "
            "/ TEMPORAL_WORKER_BUILD_ID), e.g. deployment='approvals', build_id='v2' (the "
            "build id names this version of the graph code: a git sha, an image tag); or "
            "neither, for an unversioned worker"
        )
    for what, value in (("deployment", deployment), ("build_id", build_id)):
        if value != value.strip() or "/" in value:
            raise VersioningConfigError(
                f"Worker versioning: {what} {value!r} must have no surrounding spaces and no '/'"
            )
    # No default behaviour: GraphRun is PINNED and TempographThread AUTO_UPGRADE by their
    # definitions, and the SDK refuses any other workflow of this worker that declares none.
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(deployment_name=deployment, build_id=build_id),
        use_worker_versioning=True,
    )


async def set_current_version(client: Client, deployment: str, build_id: str) -> None:
    """Make (`deployment`, `build_id`) the version new runs start on (runs already started
    stay on theirs: GraphRun is pinned). Its workers must be polling the task queues already
    (Temporal refuses a version it has not seen). The CLI equivalent: `temporal worker
    deployment set-current-version --deployment-name NAME --build-id ID`."""
    await client.workflow_service.set_worker_deployment_current_version(
        SetWorkerDeploymentCurrentVersionRequest(
            namespace=client.namespace,
            deployment_name=deployment,
            build_id=build_id,
            identity=client.identity,
        )
    )


@dataclass(frozen=True)
class VersionState:
    """What `describe_version` reports: the version's status (CURRENT, DRAINING, DRAINED,
    INACTIVE, ...) and its drainage (DRAINING while pinned runs are open on it, DRAINED when
    none is). Temporal recomputes it periodically (dynamic config
    matching.wv.VersionDrainageStatusRefreshInterval and ...VisibilityGracePeriod), so by
    default it lags by minutes."""

    status: str
    drainage: str | None


def _enum_name(enum: type, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)  # type: ignore[attr-defined]


async def describe_version(client: Client, deployment: str, build_id: str) -> VersionState:
    """The status and drainage of a version: whether its workers can be stopped (DRAINED).
    The CLI equivalent: `temporal worker deployment describe-version`."""
    described = await client.workflow_service.describe_worker_deployment_version(
        DescribeWorkerDeploymentVersionRequest(
            namespace=client.namespace,
            deployment_version=WorkerDeploymentVersionProto(
                deployment_name=deployment, build_id=build_id
            ),
        )
    )
    info = described.worker_deployment_version_info
    drainage = (
        _enum_name(VersionDrainageStatus, info.drainage_info.status, "VERSION_DRAINAGE_STATUS_")
        if info.HasField("drainage_info")
        else None
    )
    return VersionState(
        status=_enum_name(
            WorkerDeploymentVersionStatus, info.status, "WORKER_DEPLOYMENT_VERSION_STATUS_"
        ),
        drainage=drainage,
    )
