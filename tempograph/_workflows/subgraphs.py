"""Subgraphs: a compiled graph used as a node runs as a child GraphRun.

The child tells its parent each time it pauses (the CHILD_PAUSED_SIGNAL handler of GraphRun
hands the event to `Subgraphs.record`); the parent surfaces the child's interrupts with their
own ids, forwards the answers to it, and takes the child's final values as the node's writes.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from tempograph._workflows.common import RunFailedError
from tempograph._workflows.run_state import RunState

with workflow.unsafe.imports_passed_through():
    from tempograph._engine import TaskSlot
    from tempograph.messages import (
        RESUME_SIGNAL,
        WORKFLOW_TYPE,
        ChildPaused,
        ErrorKind,
        InterruptRaised,
        NodeResult,
        ResumeInput,
        RunInput,
    )


class Subgraphs:
    """The child runs of one GraphRun (a collaborator given the run's RunState)."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    async def run(self, slot: TaskSlot, graph: str) -> NodeResult:
        """A subgraph node: a child GraphRun. Its pauses surface here (its interrupts keep their
        ids); answers for it are forwarded to it; its final values are the node's writes."""
        st = self.state
        task, task_id, answers = slot.task, slot.id, slot.answers
        child_id = f"{workflow.info().workflow_id}/{task.node}/{task_id[:8]}"
        handle = st.children.get(task_id)
        if handle is None:
            handle = await workflow.start_child_workflow(
                WORKFLOW_TYPE,
                RunInput(
                    graph=graph,
                    input=task.send.arg if task.send else st.values,
                    thread_id=child_id,
                    previous_run_id="",
                    config=st.inp.config,  # the invocation's, for the subgraph's nodes too
                    context=st.inp.context,
                    stream=st.inp.stream,  # its nodes publish live output when ours do
                ),
                id=child_id,
                task_queue=workflow.info().task_queue,
                result_type=dict,
                static_summary=f"subgraph {task.node}",
            )
            st.children[task_id] = handle
        for answer in answers[st.child_forwarded.get(task_id, 0) :]:
            resume = ResumeInput() if answer is None else ResumeInput(resume=answer)
            await handle.signal(RESUME_SIGNAL, resume)
        st.child_forwarded[task_id] = len(answers)
        seen = st.child_seen.get(child_id, 0)
        await workflow.wait_condition(lambda: handle.done() or self.seq(child_id) > seen)
        if handle.done():
            del st.children[task_id]
            try:
                result: dict[str, Any] = handle.result()
            except ChildWorkflowError as exc:
                cause = exc.cause
                message = cause.message if isinstance(cause, ApplicationError) else str(exc)
                raise RunFailedError(
                    f"Subgraph '{task.node}' failed: {message}", ErrorKind.NODE_ERROR
                ) from exc
            return NodeResult(writes=[(k, v) for k, v in result.items() if k in st.channels])
        event = st.child_events[child_id]
        st.child_seen[child_id] = event.seq
        return NodeResult(
            interrupt=InterruptRaised(value=None, slot=0), child_pending=event.pending
        )

    def record(self, event: ChildPaused) -> None:
        """A child paused (its signal): keep its latest pause."""
        if event.seq > self.seq(event.child_id):
            self.state.child_events[event.child_id] = event

    def seq(self, child_id: str) -> int:
        event = self.state.child_events.get(child_id)
        return event.seq if event else 0

    def any_moved(self) -> bool:
        """A paused child went on by itself (e.g. its interrupt's deadline passed)."""
        st = self.state
        return any(
            handle.done() or self.seq(handle.id) > st.child_seen.get(handle.id, 0)
            for handle in st.children.values()
        )

    def moved(self, task_id: str) -> bool:
        handle = self.state.children.get(task_id)
        return handle is not None and (
            handle.done() or self.seq(handle.id) > self.state.child_seen.get(handle.id, 0)
        )

    def cancel(self, task_id: str) -> None:
        """A subgraph marked done by update_state is not needed any more."""
        child = self.state.children.pop(task_id, None)
        if child is not None:
            child.cancel()

    def cancel_all(self) -> None:
        for child in self.state.children.values():
            child.cancel()
        self.state.children.clear()
