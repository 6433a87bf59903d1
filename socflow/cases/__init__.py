"""The case tracker's services: alerts, cases, tasks, comments, evidence and observables."""
