"""The imperative shell: the playbook catalogue now; pipelines, scheduler, timers and executors next."""
