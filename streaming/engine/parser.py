"""Recursive-descent parser: tokens -> `ast.Query`.

Accepts the statement shapes of Stream Analytics (`WITH` steps, `SELECT ... INTO ... FROM ... TIMESTAMP BY
... WHERE ... GROUP BY ... HAVING`), LIKE, and LAG/LAST/ISFIRST with OVER; constructs outside the
supported subset (JOIN, UNION, PARTITION BY, other OVER clauses, ORDER BY, DISTINCT, TOP,
subqueries, CREATE TABLE) are refused here, naming the line and column where they start. Names are checked later by the planner.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

from streaming.engine import ast
from streaming.engine.dates import DATEPART_FUNCTIONS
from streaming.engine.errors import ParseError
from streaming.engine.match_recognize.syntax import parse_match_recognize
from streaming.engine.tokens import Token, TokenType, tokenize

ANALYTIC_FUNCTIONS = ("lag", "last", "isfirst")
ANALYTIC_AGGREGATES = ("count", "sum", "avg", "min", "max")
"""Aggregates that also have the analytic form `AGG(x) OVER ([PARTITION BY ...] LIMIT DURATION(...) [WHEN c])`
("COUNT", "SUM", "AVG", "MIN", "MAX" pages: "Analytic Function Syntax")."""
APPLY_FUNCTIONS = ("getarrayelements", "getrecordproperties")

_COMPARISONS = ("=", "<>", "!=", "<", ">", "<=", ">=")
_RANGE_PREDICATES = ("IN", "BETWEEN")
_CLAUSE_KEYWORDS = {
    "FROM", "WHERE", "GROUP", "HAVING", "INTO", "TIMESTAMP", "UNION", "JOIN", "LEFT", "RIGHT", "INNER",
    "OUTER", "CROSS", "ON", "PARTITION", "ORDER", "SELECT", "WITH", "AS", "WHEN", "THEN", "ELSE", "END",
    "AND", "OR", "NOT", "IS", "LIKE", "IN", "BETWEEN", "LIMIT", "OVER", "MATCH_RECOGNIZE",
}  # fmt: skip
_UNSUPPORTED_CLAUSES = {
    "JOIN": "JOIN",
    "LEFT": "JOIN",
    "RIGHT": "JOIN",
    "INNER": "JOIN",
    "OUTER": "JOIN",
    "CROSS": "JOIN",
    "UNION": "UNION",
    "PARTITION": "PARTITION BY",
    "ORDER": "ORDER BY",
    "OVER": "OVER",
    "LIMIT": "LIMIT",
}


def parse(text: str) -> ast.Query:
    """Parse a whole query; raises `TokenizeError` or `ParseError` with line and column."""
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.pattern_clause = False
        """Inside MATCH_RECOGNIZE: `LAST(A.x)` is an aggregate method, not the analytic function."""

    # -- token helpers -------------------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.current
        if token.type is not TokenType.EOF:
            self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.current.upper in words

    def at_operator(self, *ops: str) -> bool:
        return self.current.type is TokenType.OPERATOR and self.current.text in ops

    def accept_keyword(self, word: str) -> Token | None:
        return self.advance() if self.at_keyword(word) else None

    def accept_operator(self, op: str) -> Token | None:
        return self.advance() if self.at_operator(op) else None

    def expect_keyword(self, word: str) -> Token:
        if not self.at_keyword(word):
            self.fail(f"expected {word}, found {self.current.describe()}")
        return self.advance()

    def expect_operator(self, op: str) -> Token:
        if not self.at_operator(op):
            self.fail(f"expected {op!r}, found {self.current.describe()}")
        return self.advance()

    def fail(self, message: str, token: Token | None = None) -> None:
        token = token or self.current
        raise ParseError(message, token.line, token.column)

    def refuse(self, construct: str, token: Token | None = None) -> None:
        self.fail(f"{construct} is not supported by the local engine", token)

    def refuse_timestamp_over(self) -> None:
        """Substreams on a joined input: a stream JOIN would need per-key watermarks on both sides."""
        self.fail(
            'TIMESTAMP BY ... OVER on a JOIN (substreams, "TIMESTAMP BY" reference page, "OVER clause '
            'interacts with event ordering") is not supported by the local engine'
        )

    def name(self, what: str) -> Token:
        token = self.current
        if token.type is TokenType.QUOTED_IDENTIFIER or (
            token.type is TokenType.IDENTIFIER and token.upper not in _CLAUSE_KEYWORDS
        ):
            return self.advance()
        self.fail(f"expected {what}, found {token.describe()}")
        raise AssertionError  # unreachable: fail() raises

    # -- statements ----------------------------------------------------------------------------------------
    def query(self) -> ast.Query:
        start = self.current
        steps: list[ast.Step] = []
        if self.accept_keyword("WITH"):
            while True:
                name = self.name("a step name")
                self.expect_keyword("AS")
                self.expect_operator("(")
                select = self.select()
                if select.into is not None:
                    self.fail(
                        "INTO is only allowed in the outermost SELECT", self._token_at(select.into_position)
                    )
                self.expect_operator(")")
                steps.append(ast.Step(name.line, name.column, name.text, select))
                if not self.accept_operator(","):
                    break
        statements: list[ast.Select] = []
        while self.current.type is not TokenType.EOF:
            if self.accept_operator(";"):
                continue
            if self.at_keyword("CREATE"):
                self.refuse("CREATE TABLE")
            if not self.at_keyword("SELECT"):
                self.fail(f"expected SELECT, found {self.current.describe()}")
            statements.append(self.select())
            if self.at_keyword("UNION"):
                self.refuse("UNION")
        if not statements:
            self.fail("the query has no SELECT statement")
        return ast.Query(start.line, start.column, tuple(steps), tuple(statements))

    def _token_at(self, position: tuple[int, int]) -> Token:
        return Token(TokenType.IDENTIFIER, "INTO", position[0], position[1])

    def select(self) -> ast.Select:
        start = self.expect_keyword("SELECT")
        if self.at_keyword("DISTINCT"):
            self.refuse("SELECT DISTINCT")
        if self.at_keyword("TOP"):
            self.refuse("SELECT TOP")
        items = [self.select_item()]
        while self.accept_operator(","):
            items.append(self.select_item())
        into = None
        into_position = (0, 0)
        if into_token := self.accept_keyword("INTO"):
            into = self.name("an output alias").text
            into_position = (into_token.line, into_token.column)
        self.expect_keyword("FROM")
        source = self.source()
        where = self.expression() if self.accept_keyword("WHERE") else None
        group_by: list[ast.Node] = []
        if self.accept_keyword("GROUP"):
            self.expect_keyword("BY")
            group_by.append(self.expression())
            while self.accept_operator(","):
                group_by.append(self.expression())
        having = self.expression() if self.accept_keyword("HAVING") else None
        if self.current.upper in _UNSUPPORTED_CLAUSES:
            self.refuse(_UNSUPPORTED_CLAUSES[self.current.upper])
        return ast.Select(
            start.line,
            start.column,
            tuple(items),
            into,
            source,
            where,
            tuple(group_by),
            having,
            into_position,
        )

    def record_star_path(self) -> tuple[str, ...]:
        """`a.b[.c...].*`: the names before `.*` (consumed), or () when the tokens are not that form."""
        names: list[str] = []
        offset = 0
        while True:
            token = self.peek(offset)
            if (
                token.type not in (TokenType.IDENTIFIER, TokenType.QUOTED_IDENTIFIER)
                or self.peek(offset + 1).text != "."
            ):
                return ()
            names.append(token.text)
            if self.peek(offset + 2).text == "*":
                break
            offset += 2
        if len(names) < 2:
            return ()
        for _ in range(offset + 3):
            self.advance()
        return tuple(names)

    def select_item(self) -> ast.SelectItem:
        start = self.current
        if self.at_operator("*"):
            self.advance()
            return ast.SelectItem(start.line, start.column, ast.Star(start.line, start.column), None)
        if (
            start.type in (TokenType.IDENTIFIER, TokenType.QUOTED_IDENTIFIER)
            and self.peek().text == "."
            and self.peek(2).text == "*"
        ):
            self.advance(), self.advance(), self.advance()
            return ast.SelectItem(
                start.line, start.column, ast.Star(start.line, start.column, start.text), None
            )
        path = self.record_star_path()
        if path:
            star = ast.Star(start.line, start.column, ".".join(path), path)
            return ast.SelectItem(start.line, start.column, star, None)
        if (
            start.type in (TokenType.IDENTIFIER, TokenType.QUOTED_IDENTIFIER)
            and start.upper not in _CLAUSE_KEYWORDS
            and self.peek().type is TokenType.OPERATOR
            and self.peek().text == "="
        ):
            # `alias = expression`, the other spelling of `expression AS alias`
            self.advance(), self.advance()
            return ast.SelectItem(start.line, start.column, self.expression(), start.text)
        expr = self.expression()
        alias = self.optional_alias()
        return ast.SelectItem(start.line, start.column, expr, alias)

    def optional_alias(self) -> str | None:
        """`AS alias`, or an alias without AS (a name that is not the next clause's keyword), or None."""
        if self.accept_keyword("AS"):
            return self.name("an alias").text
        if self.current.type is TokenType.QUOTED_IDENTIFIER or (
            self.current.type is TokenType.IDENTIFIER and self.current.upper not in _CLAUSE_KEYWORDS
        ):
            return self.advance().text
        return None

    def source(self) -> ast.Source:
        if self.at_operator("("):
            self.refuse("a subquery in FROM")
        name = self.name("an input or step name")
        alias = self.optional_alias()
        if self.at_keyword("PARTITION"):
            self.refuse("PARTITION BY")
        timestamp_by = None
        over: list[ast.Node] = []
        if self.accept_keyword("TIMESTAMP"):
            self.expect_keyword("BY")
            timestamp_by = self.expression()
            if self.accept_keyword("OVER"):  # substreams ("TIMESTAMP BY" reference page)
                over.append(self.expression())
                while self.accept_operator(","):
                    over.append(self.expression())
        recognize = parse_match_recognize(self) if self.at_keyword("MATCH_RECOGNIZE") else None
        apply = None
        if self.at_keyword("CROSS") and self.peek().upper == "APPLY":
            apply = self.apply()
        if self.at_keyword("OUTER") and self.peek().upper == "APPLY":
            self.refuse("OUTER APPLY")
        join = None
        if apply is None and self.at_keyword("JOIN", "INNER", "LEFT"):
            join = self.join()
        if self.current.upper in _UNSUPPORTED_CLAUSES:
            self.refuse(_UNSUPPORTED_CLAUSES[self.current.upper])
        return ast.Source(
            name.line, name.column, name.text, alias, timestamp_by, apply, join, tuple(over), recognize
        )

    def join(self) -> ast.Join:
        """`[INNER | LEFT [OUTER]] JOIN name [AS alias] ON condition` (one JOIN per FROM)."""
        start = self.current
        kind = "inner"
        if self.accept_keyword("LEFT"):
            kind = "left"
            self.accept_keyword("OUTER")
        else:
            self.accept_keyword("INNER")
        self.expect_keyword("JOIN")
        if self.at_operator("("):
            self.refuse("a subquery in JOIN")
        name = self.name("an input name")
        alias = self.optional_alias()
        if self.at_keyword("PARTITION"):
            self.refuse("PARTITION BY")
        timestamp_by = None
        if self.accept_keyword("TIMESTAMP"):
            self.expect_keyword("BY")
            timestamp_by = self.expression()
            if self.at_keyword("OVER"):
                self.refuse_timestamp_over()
        self.expect_keyword("ON")
        condition = self.expression()
        if self.at_keyword("JOIN", "INNER", "LEFT", "RIGHT", "CROSS", "OUTER"):
            self.refuse("a second JOIN")
        return ast.Join(start.line, start.column, kind, name.text, alias, condition, timestamp_by)

    def apply(self) -> ast.Apply:
        """`CROSS APPLY GetArrayElements(expr) AS alias` or `GetRecordProperties(expr)`."""
        start = self.advance()
        self.advance()
        function = self.current
        call = self.name_or_call()
        if not isinstance(call, ast.Call) or call.qualified not in APPLY_FUNCTIONS:
            self.fail("CROSS APPLY takes GetArrayElements(array) or GetRecordProperties(record)", function)
        assert isinstance(call, ast.Call)
        if len(call.args) != 1:
            self.fail(f"{function.text}() takes one argument", function)
        self.accept_keyword("AS")
        alias = self.name("an alias for the applied rows").text
        if self.at_keyword("CROSS", "OUTER") and self.peek().upper == "APPLY":
            self.refuse("a second APPLY")
        return ast.Apply(start.line, start.column, call.qualified, call.args[0], alias)

    # -- expressions ---------------------------------------------------------------------------------------
    def expression(self) -> ast.Node:
        return self.disjunction()

    def disjunction(self) -> ast.Node:
        left = self.conjunction()
        while op := self.accept_keyword("OR"):
            left = ast.Binary(op.line, op.column, "OR", left, self.conjunction())
        return left

    def conjunction(self) -> ast.Node:
        left = self.negation()
        while op := self.accept_keyword("AND"):
            left = ast.Binary(op.line, op.column, "AND", left, self.negation())
        return left

    def negation(self) -> ast.Node:
        if op := self.accept_keyword("NOT"):
            return ast.Unary(op.line, op.column, "NOT", self.negation())
        return self.comparison()

    def comparison(self) -> ast.Node:
        left = self.additive()
        if self.at_operator(*_COMPARISONS):
            op = self.advance()
            text = "<>" if op.text == "!=" else op.text
            return ast.Binary(op.line, op.column, text, left, self.additive())
        if self.at_keyword("LIKE") or (self.at_keyword("NOT") and self.peek().upper == "LIKE"):
            op = self.advance()
            negated = op.upper == "NOT"
            if negated:
                self.advance()
            node = ast.Binary(op.line, op.column, "NOT LIKE" if negated else "LIKE", left, self.additive())
            if self.at_keyword("ESCAPE"):
                self.refuse("LIKE ... ESCAPE")
            return node
        if is_token := self.accept_keyword("IS"):
            negated = self.accept_keyword("NOT") is not None
            self.expect_keyword("NULL")
            return ast.IsNull(is_token.line, is_token.column, left, negated)
        if self.at_keyword(*_RANGE_PREDICATES) or (
            self.at_keyword("NOT") and self.peek().upper in _RANGE_PREDICATES
        ):
            return self.range_predicate(left)
        return left

    def range_predicate(self, left: ast.Node) -> ast.Node:
        """`x [NOT] IN (a, b, ...)` and `x [NOT] BETWEEN a AND b` (inclusive), as the WHERE reference page
        gives them, read as `x = a OR x = b ...` and `x >= a AND x <= b` (the same NULL logic as SQL's;
        `x` is evaluated once per batch, as every repeated subexpression)."""
        op = self.advance()
        negated = op.upper == "NOT"
        keyword = self.advance() if negated else op
        line, column = op.line, op.column
        if keyword.upper == "IN":
            self.expect_operator("(")
            if self.at_keyword("SELECT"):
                self.refuse("IN (subquery)")
            values = [self.expression()]
            while self.accept_operator(","):
                values.append(self.expression())
            self.expect_operator(")")
            node: ast.Node = ast.Binary(line, column, "=", left, values[0])
            for value in values[1:]:
                node = ast.Binary(line, column, "OR", node, ast.Binary(line, column, "=", left, value))
        else:
            low = self.additive()
            self.expect_keyword("AND")
            high = self.additive()
            node = ast.Binary(
                line,
                column,
                "AND",
                ast.Binary(line, column, ">=", left, low),
                ast.Binary(line, column, "<=", left, high),
            )
        return ast.Unary(line, column, "NOT", node) if negated else node

    def additive(self) -> ast.Node:
        left = self.multiplicative()
        while self.at_operator("+", "-"):
            op = self.advance()
            left = ast.Binary(op.line, op.column, op.text, left, self.multiplicative())
        return left

    def multiplicative(self) -> ast.Node:
        left = self.unary()
        while self.at_operator("*", "/", "%"):
            op = self.advance()
            left = ast.Binary(op.line, op.column, op.text, left, self.unary())
        return left

    def unary(self) -> ast.Node:
        if self.at_operator("-", "+"):
            op = self.advance()
            operand = self.unary()
            if op.text == "+":
                return operand
            if isinstance(operand, ast.Literal) and isinstance(operand.value, int | float):
                return ast.Literal(op.line, op.column, -operand.value)
            return ast.Unary(op.line, op.column, "-", operand)
        return self.primary()

    def primary(self) -> ast.Node:
        token = self.current
        if token.type is TokenType.NUMBER:
            self.advance()
            is_float = any(c in token.text for c in ".eE")
            return ast.Literal(token.line, token.column, float(token.text) if is_float else int(token.text))
        if token.type is TokenType.STRING:
            self.advance()
            return ast.Literal(token.line, token.column, token.text)
        if self.accept_operator("("):
            if self.at_keyword("SELECT"):
                self.refuse("a subquery", token)
            inner = self.expression()
            self.expect_operator(")")
            return inner
        if token.upper == "NULL":
            self.advance()
            return ast.Literal(token.line, token.column, None)
        if token.upper == "CASE":
            return self.case()
        if token.upper in ("CAST", "TRY_CAST") and self.peek().text == "(":
            return self.cast()
        if token.type is TokenType.OPERATOR and token.text in ("{", "["):
            self.refuse("a record or array literal")
        if (
            token.type in (TokenType.IDENTIFIER, TokenType.QUOTED_IDENTIFIER)
            and token.upper not in _CLAUSE_KEYWORDS
        ) or (token.upper in ("LEFT", "RIGHT") and self.peek().text == "("):
            return self.name_or_call()
        self.fail(f"expected an expression, found {token.describe()}")
        raise AssertionError  # unreachable: fail() raises

    def name_or_call(self) -> ast.Node:
        first = self.advance()
        path = [first.text]
        while self.at_operator(".") and self.peek().type in (
            TokenType.IDENTIFIER,
            TokenType.QUOTED_IDENTIFIER,
        ):
            self.advance()
            path.append(self.advance().text)
        if self.at_operator("["):
            self.refuse("array indexing")
        if not self.at_operator("("):
            return ast.Column(first.line, first.column, tuple(path))
        self.advance()
        if self.accept_operator(")"):
            call = ast.Call(first.line, first.column, tuple(path), ())
        elif self.accept_operator("*"):
            self.expect_operator(")")
            call = ast.Call(first.line, first.column, tuple(path), (), star=True)
        else:
            distinct = self.accept_keyword("DISTINCT") is not None
            args = [self.expression()]
            while self.accept_operator(","):
                args.append(self.expression())
            self.expect_operator(")")
            if path[-1].lower() in DATEPART_FUNCTIONS and isinstance(args[0], ast.Column):
                # DATEDIFF(minute, a, b): the datepart is a word, not a column
                word = args[0]
                args[0] = ast.Literal(word.line, word.column, ".".join(word.path).lower())
            call = ast.Call(first.line, first.column, tuple(path), tuple(args), distinct=distinct)
        if call.qualified in ANALYTIC_FUNCTIONS and not self.pattern_clause:
            return self.analytic(call)
        if call.qualified in ANALYTIC_AGGREGATES and self.at_keyword("OVER") and not self.pattern_clause:
            if call.distinct:
                self.refuse(f"{path[-1]}(DISTINCT ...) OVER")
            return self.analytic(call)
        if call.qualified in ("topone", "collecttop", "percentile_cont", "percentile_disc"):
            return self.top_one(call)
        if call.qualified in ("sessionwindow", "session") and self.accept_keyword("OVER"):
            return self.session_partition(call)
        if self.at_keyword("OVER"):
            self.refuse(f"{'.'.join(path)}() OVER")
        if self.at_operator("."):
            self.refuse("a property of a function result (select the result into a step first)")
        return call

    def analytic(self, call: ast.Call) -> ast.Node:
        """`LAG|LAST(...) OVER ([PARTITION BY k, ...] LIMIT DURATION(unit, n) [WHEN c])`, `ISFIRST(unit, n)
        [OVER ([PARTITION BY k, ...] [WHEN c])]`."""
        name = call.name[-1]
        is_first = call.qualified == "isfirst"
        partition_by: list[ast.Node] = []
        duration = None
        when = None
        if self.accept_keyword("OVER"):
            self.expect_operator("(")
            if self.accept_keyword("PARTITION"):
                self.expect_keyword("BY")
                partition_by.append(self.expression())
                while self.accept_operator(","):
                    partition_by.append(self.expression())
            if self.at_keyword("LIMIT"):
                if is_first:
                    self.fail("ISFIRST takes no LIMIT DURATION (its interval is its arguments)")
                self.advance()
                token = self.current
                if token.upper != "DURATION":
                    self.fail(f"expected DURATION(unit, length), found {token.describe()}")
                duration = self.name_or_call()
                if not isinstance(duration, ast.Call):
                    self.fail("expected DURATION(unit, length)", token)
            if self.accept_keyword("WHEN"):
                when = self.expression()
            if self.at_keyword("ORDER"):
                self.refuse(f"ORDER BY in {name}() OVER")
            self.expect_operator(")")
        if duration is None and not is_first:
            self.fail(f"{name}() needs OVER ([PARTITION BY ...] LIMIT DURATION(unit, length))")
        assert duration is None or isinstance(duration, ast.Call)
        return ast.Analytic(call.line, call.column, call, tuple(partition_by), duration, when)

    def session_partition(self, call: ast.Call) -> ast.Call:
        """`SessionWindow(...) OVER (PARTITION BY k, ...)` ("Session Window" reference page)."""
        self.expect_operator("(")
        self.expect_keyword("PARTITION")
        self.expect_keyword("BY")
        keys = [self.expression()]
        while self.accept_operator(","):
            keys.append(self.expression())
        self.expect_operator(")")
        return dataclasses.replace(call, partition_by=tuple(keys))

    def top_one(self, call: ast.Call) -> ast.Call:
        """`TopOne() OVER (ORDER BY x [ASC|DESC], ...)`, the aggregate form ("TopOne" reference page), and
        `PERCENTILE_CONT|PERCENTILE_DISC(p) OVER (ORDER BY x [ASC|DESC])` ("Percentile_Cont" page)."""
        name = call.name[-1]
        if not self.at_keyword("OVER"):
            self.fail(f"{name}() needs OVER (ORDER BY column [ASC|DESC], ...)")
        self.advance()
        self.expect_operator("(")
        if self.at_keyword("PARTITION", "LIMIT", "WHEN"):
            self.refuse(f"{name}() as an analytic function (PARTITION BY, LIMIT DURATION, WHEN)")
        self.expect_keyword("ORDER")
        self.expect_keyword("BY")
        order: list[tuple[ast.Node, bool]] = []
        while True:
            expression = self.expression()
            descending = self.accept_keyword("DESC") is not None
            if not descending:
                self.accept_keyword("ASC")
            order.append((expression, descending))
            if not self.accept_operator(","):
                break
        if self.at_keyword("LIMIT", "WHEN"):
            self.refuse(f"{name}() as an analytic function (PARTITION BY, LIMIT DURATION, WHEN)")
        self.expect_operator(")")
        return replace(call, order_by=tuple(order))

    def case(self) -> ast.Node:
        start = self.expect_keyword("CASE")
        operand = None if self.at_keyword("WHEN") else self.expression()
        whens: list[tuple[ast.Node, ast.Node]] = []
        while self.accept_keyword("WHEN"):
            condition = self.expression()
            self.expect_keyword("THEN")
            whens.append((condition, self.expression()))
        if not whens:
            self.fail("CASE needs at least one WHEN")
        default = self.expression() if self.accept_keyword("ELSE") else None
        if default is None:
            self.fail("CASE needs an ELSE branch in Stream Analytics")
        self.expect_keyword("END")
        return ast.Case(start.line, start.column, operand, tuple(whens), default)

    def cast(self) -> ast.Node:
        start = self.advance()
        self.expect_operator("(")
        operand = self.expression()
        self.expect_keyword("AS")
        type_token = self.name("a type name")
        type_name = type_token.text.lower()
        if self.accept_operator("("):
            size = self.advance()
            self.expect_operator(")")
            type_name = f"{type_name}({size.text.lower()})"
        self.expect_operator(")")
        return ast.Cast(start.line, start.column, operand, type_name, safe=start.upper == "TRY_CAST")
