"""The query language: fields, predicate expressions, conditions, and the select pipeline."""

from dictdb.query.expr import And, Condition, Not, Or, PredicateExpr, Query, plan_of, render
from dictdb.query.field import Field

__all__ = ["And", "Condition", "Field", "Not", "Or", "PredicateExpr", "Query", "plan_of", "render"]
