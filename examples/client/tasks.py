"""AmoClient, API v2 (``client.v2``): working with tasks."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED
from amocrm.v2.constants import CALL_TASKTYPE, MAIL_TASKTYPE
from amocrm.v2.models import Task

with sandbox_info() as sb, connect(sb) as client:
    for task in client.v2.tasks.list(type="lead", filter={"task_type": [CALL_TASKTYPE, MAIL_TASKTYPE]}):
        print(task.id, task.text)

    task = Task(task_type=MAIL_TASKTYPE, text="Необходимо написать письмо", complete_till_at=1508706000)
    task.attach_to_contact(SEED.CONTACT_IVAN)
    task3 = client.v2.tasks.get(SEED.TASK_FIRST)
    task3.text = "Новый текст задачи"
    client.v2.tasks.save([task, task3])
    print(task.id)
