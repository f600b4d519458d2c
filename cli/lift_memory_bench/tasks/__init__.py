"""The benchmark's questions and the one corpus every method trains on.

``question`` holds the question type the generators share; ``fiction``, ``needles`` and
``hotpotqa`` generate one task family each; ``corpus`` assembles them into one corpus.
"""
