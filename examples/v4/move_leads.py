"""Move leads through the stages of a pipeline, then close them: won (142) and lost (143) with a reason.

It reads the main pipeline and its stages (``GET /api/v4/leads/pipelines``) and the account's loss
reasons (``GET /api/v4/leads/loss_reasons``; "Too expensive" is created when there is none), adds
three leads in the pipeline's first stage, walks them through each open stage in the pipeline's
order (one batch ``PATCH /api/v4/leads`` per step, only ``status_id``/``pipeline_id`` sent), then
closes one as won, one as lost with its loss reason, and leaves the third at the last open stage.
Closed leads get ``closed_at``; a status of 142/143 needs the ``pipeline_id`` it closes in.

Run it: ``python examples/v4/move_leads.py [--prefix TEXT] [--sandbox JSON] [--tokens DIR]``; the
leads are named ``<prefix> 1..3`` (default prefix: "Moved lead"). It prints each step and the leads'
final stage, loss reason and close time.
"""

from __future__ import annotations

from _env import connect, parser, sandbox_info

from amocrm import AmoClient
from amocrm.v4.constants import SystemStatus
from amocrm.v4.models import Lead, LossReason, Pipeline, Status


def main_pipeline(client: AmoClient) -> tuple[Pipeline, list[Status]]:
    """The main pipeline and its open stages in order (without the 'incoming' stage, which only
    unsorted leads are in, and without won/lost)."""
    pipelines = list(client.v4.pipelines.list())
    pipeline = next((p for p in pipelines if p.is_main is True), pipelines[0])
    statuses = client.v4.statuses.list(pipeline.id) if isinstance(pipeline.id, int) else []
    open_ones = [s for s in statuses if s.id not in (SystemStatus.WON, SystemStatus.LOST) and s.type != 1]
    return pipeline, sorted(open_ones, key=lambda s: s.sort if isinstance(s.sort, int) else 0)


def loss_reason(client: AmoClient, name: str = "Too expensive") -> LossReason:
    """The first loss reason of the account, or a new one named ``name`` when it has none."""
    reasons = list(client.v4.loss_reasons.list())
    if reasons:
        return reasons[0]
    reason = LossReason(name=name)
    client.v4.loss_reasons.create(reason)
    return reason


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--prefix", default="Moved lead", help="name prefix of the leads this run adds")
    args = p.parse_args()
    with sandbox_info(args.sandbox) as sb, connect(sb, args.tokens) as client:
        pipeline, stages = main_pipeline(client)
        reason = loss_reason(client)
        print(f"pipeline {pipeline.id} {pipeline.name!r}: " + " -> ".join(str(s.name) for s in stages))
        leads = [Lead(name=f"{args.prefix} {n}", price=1000 * n, pipeline_id=pipeline.id, status_id=stages[0].id)
                 for n in (1, 2, 3)]
        client.v4.leads.save(leads)
        for stage in stages[1:]:
            for lead in leads:
                lead.status_id = stage.id  # the next save sends just this change
            client.v4.leads.save(leads)
            print(f"moved {len(leads)} leads to {stage.name!r} ({stage.id})")
        won, lost, _ = leads
        won.status_id, won.pipeline_id = SystemStatus.WON, pipeline.id
        lost.status_id, lost.pipeline_id, lost.loss_reason_id = SystemStatus.LOST, pipeline.id, reason.id
        client.v4.leads.save([won, lost])
        for lead in leads:
            got = client.v4.leads.get(lead.id, with_=["loss_reason"]) if isinstance(lead.id, int) else lead
            print(f"lead {got.id} {got.name!r}: status {got.status_id}, loss reason {got.loss_reason_id}, "
                  f"closed_at {got.closed_at}")


if __name__ == "__main__":
    main()
