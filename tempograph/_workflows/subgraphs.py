"""Subgraphs: a compiled graph used as a node runs as a child GraphRun.

The child tells its parent each time it pauses (a signal); the parent surfaces the child's
interrupts with their own ids, forwards the answers to it, and takes the child's final values
as the node's writes. A mixin of GraphRun.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError
from temporalio.workflow import ChildWorkflowHandle

from tempograph._workflows.common import (
    BadArgumentsError,
    RunFailedError,
    Task,
    any_arity,
    decode_args,
)

with workflow.unsafe.imports_passed_through():
    from tempograph.messages import (
        CHILD_PAUSED_SIGNAL,
        RESUME_SIGNAL,
        WORKFLOW_TYPE,
        ChannelSpec,
        ChildPaused,
        ErrorKind,
        InterruptRaised,
        InvalidMessageError,
        NodeResult,
        ResumeInput,
        RunInput,
        parse_message,
    )


class SubgraphRuns:
    children: dict[str, ChildWorkflowHandle[Any, Any]]
    child_events: dict[str, ChildPaused]
    child_seen: dict[str, int]
    child_forwarded: dict[str, int]
    values: dict[str, Any]
    channels: dict[str, ChannelSpec]

    async def _run_child(
        self, task: Task, task_id: str, answers: list[Any], graph: str
    ) -> NodeResult:
        """A subgraph node: a child GraphRun. Its pauses surface here (its interrupts keep their
        ids); answers for it are forwarded to it; its final values are the node's writes."""
        child_id = f"{workflow.info().workflow_id}/{task.node}/{task_id[:8]}"
        handle = self.children.get(task_id)
        if handle is None:
            handle = await workflow.start_child_workflow(
                WORKFLOW_TYPE,
                RunInput(
                    graph=graph,
                    input=task.send.arg if task.send else self.values,
                    thread_id=child_id,
                    previous_run_id="",
                ),
                id=child_id,
                task_queue=workflow.info().task_queue,
                result_type=dict,
                static_summary=f"subgraph {task.node}",
            )
            self.children[task_id] = handle
        for answer in answers[self.child_forwarded.get(task_id, 0) :]:
            resume = ResumeInput() if answer is None else ResumeInput(resume=answer)
            await handle.signal(RESUME_SIGNAL, resume)
        self.child_forwarded[task_id] = len(answers)
        seen = self.child_seen.get(child_id, 0)
        await workflow.wait_condition(lambda: handle.done() or self._child_seq(child_id) > seen)
        if handle.done():
            del self.children[task_id]
            try:
                result: dict[str, Any] = handle.result()
            except ChildWorkflowError as exc:
                cause = exc.cause
                message = cause.message if isinstance(cause, ApplicationError) else str(exc)
                raise RunFailedError(
                    f"Subgraph '{task.node}' failed: {message}", ErrorKind.NODE_ERROR
                ) from exc
            return NodeResult(writes=[(k, v) for k, v in result.items() if k in self.channels])
        event = self.child_events[child_id]
        self.child_seen[child_id] = event.seq
        return NodeResult(
            interrupt=InterruptRaised(value=None, slot=0), child_pending=event.pending
        )

    def _child_seq(self, child_id: str) -> int:
        event = self.child_events.get(child_id)
        return event.seq if event else 0

    def _children_moved(self) -> bool:
        """A paused child went on by itself (e.g. its interrupt's deadline passed)."""
        return any(
            handle.done() or self._child_seq(handle.id) > self.child_seen.get(handle.id, 0)
            for handle in self.children.values()
        )

    @workflow.signal(name=CHILD_PAUSED_SIGNAL)
    @any_arity
    def child_paused(self, *args: Any) -> None:
        try:
            raw, _ = decode_args(args, CHILD_PAUSED_SIGNAL, limit=None)
            event = parse_message(ChildPaused, raw)
        except (BadArgumentsError, InvalidMessageError) as exc:
            # Only a subgraph's run sends this; anything else is dropped (a signal cannot be
            # refused, and an error here would fail the workflow task again and again).
            workflow.logger.warning("%s signal dropped: %s", CHILD_PAUSED_SIGNAL, exc)
            return
        if event.seq > self._child_seq(event.child_id):
            self.child_events[event.child_id] = event

    def _moved(self, task_id: str) -> bool:
        handle = self.children.get(task_id)
        return handle is not None and (
            handle.done() or self._child_seq(handle.id) > self.child_seen.get(handle.id, 0)
        )
