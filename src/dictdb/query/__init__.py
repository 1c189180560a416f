"""The query language: fields, predicate expressions and conditions."""

from dictdb.query.expr import Condition, PredicateExpr, Query, plan_of
from dictdb.query.field import Field

__all__ = ["Condition", "Field", "PredicateExpr", "Query", "plan_of"]
