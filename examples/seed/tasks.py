"""Seed README: working with tasks."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoTask, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        for items in AmoAPI.get_all_tasks({"type": "lead",
                                           "filter": {"task_type": [AmoTask.CALL_TASKTYPE, AmoTask.MAIL_TASKTYPE]}}):
            for item in items:
                print(item["id"], item["text"])
        for item in AmoAPI.get_tasks({"responsible_user_id": SEED.USER_ADMIN, "limit_rows": 100}) or []:
            print(item["id"], item["text"])

        task = AmoTask({
            "task_type": AmoTask.MAIL_TASKTYPE,
            "element_type": AmoTask.CONTACT_TYPE,
            "element_id": SEED.CONTACT_IVAN,
            "text": "Необходимо написать письмо",
            "complete_till_at": 1508706000,
        })
        task_id = task.save()

        task2 = AmoTask({"id": task_id, "text": "Обновленный текст задачи"})
        task2.add_lead(SEED.LEAD_SECOND)

        task3 = AmoTask()
        task3.fill_by_id(SEED.TASK_FIRST)
        task3.text = "Новый текст задачи"
        print(task3.get_params())

        AmoAPI.save_objects([task2, task3])
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
