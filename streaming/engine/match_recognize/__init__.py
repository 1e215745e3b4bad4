"""MATCH_RECOGNIZE ("MATCH_RECOGNIZE (Azure Stream Analytics)" reference page): pattern matching over a stream.

syntax.py  the clause's syntax (called by the parser after FROM ... [TIMESTAMP BY ...])
automaton.py  PATTERN -> a nondeterministic automaton (Thompson construction, quantifiers expanded)
expressions.py  DEFINE conditions and MEASURES, compiled once, over each try's aggregates
matcher.py  the running state: per PARTITION BY key, the tries in progress; matches found per event
planning.py  the step the planner builds from a SELECT with MATCH_RECOGNIZE
"""
