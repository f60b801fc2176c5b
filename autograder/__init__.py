"""Instructor tools: generate the learner chapters with nbgrader and grade submissions."""
