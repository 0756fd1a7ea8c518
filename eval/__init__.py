"""Evaluation of the question-answering service: datasets, metrics, runner, report and gate.

Import from submodules (``from eval.metrics import recall_at_k``): ``eval`` is
also a Python builtin.
"""
