"""JQL text → a syntax tree: tokens, a recursive-descent parser, and NOT pushed down to the clauses.

Grammar (Jira's, the subset people use)::

    query     := [or_expr] [ORDER BY sort ("," sort)*]
    or_expr   := and_expr (OR and_expr)*               OR, ||, |
    and_expr  := unary (AND unary)*                    AND, &&, &
    unary     := NOT unary | "(" or_expr ")" | clause  NOT, !
    clause    := field operator operand [predicates]
    operator  := = != > >= < <= ~ !~ IN | NOT IN | IS | IS NOT | WAS | WAS IN | WAS NOT | WAS NOT IN | CHANGED
    operand   := value | "(" value ("," value)* ")" | function "(" [value ("," value)*] ")" | EMPTY | NULL
    predicate := (AFTER | BEFORE | ON | BY | FROM | TO) operand | DURING "(" value "," value ")"

`NOT x = y` is Jira's `x != y` (which never matches an empty field), so NOT is pushed down to the
clauses by De Morgan's laws (`negate`); only `CHANGED` keeps a real complement.
"""

from __future__ import annotations

import dataclasses
import re

from pipelines.errors import DplError, ErrorClass

TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|!~|>=|<=|&&|\|\||[=<>~(),!&|])
      | (?P<word>[^\s=!<>~(),"'&|]+)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "was", "changed", "order", "by", "asc", "desc"}
PREDICATES = ("after", "before", "on", "during", "by", "from", "to")
NEGATED = {
    "=": "!=",
    "!=": "=",
    "in": "not in",
    "not in": "in",
    "is": "is not",
    "is not": "is",
    "~": "!~",
    "!~": "~",
    ">": "<=",
    "<=": ">",
    "<": ">=",
    ">=": "<",
    "was": "was not",
    "was not": "was",
    "was in": "was not in",
    "was not in": "was in",
}


class JqlError(DplError):
    """A JQL query that cannot be answered: one line naming the clause or the token."""

    def __init__(self, message: str):
        super().__init__(ErrorClass.CONFIG, message, advice="fix the query (see README, Workbench)")


@dataclasses.dataclass(frozen=True)
class Token:
    kind: str  # string | op | word | end
    text: str
    position: int

    @property
    def value(self) -> str:
        """The text, unquoted and unescaped for strings."""
        if self.kind == "string":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text

    @property
    def lower(self) -> str:
        return self.text.lower() if self.kind != "string" else ""


@dataclasses.dataclass(frozen=True)
class Literal:
    text: str
    quoted: bool = False


@dataclasses.dataclass(frozen=True)
class Empty:
    pass


@dataclasses.dataclass(frozen=True)
class Function:
    name: str  # lower case
    args: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ValueList:
    items: tuple  # Literal | Empty | Function


@dataclasses.dataclass(frozen=True)
class Predicate:
    kind: str  # after | before | on | during | by | from | to
    operands: tuple  # one operand, two for during


@dataclasses.dataclass(frozen=True)
class Clause:
    field: str
    operator: str  # lower case, words joined by one space: "not in", "was not in", "is not"
    operand: object = None
    predicates: tuple[Predicate, ...] = ()
    text: str = ""  # the clause as written, for error messages


@dataclasses.dataclass(frozen=True)
class And:
    items: tuple


@dataclasses.dataclass(frozen=True)
class Or:
    items: tuple


@dataclasses.dataclass(frozen=True)
class Not:
    item: object


@dataclasses.dataclass(frozen=True)
class Sort:
    field: str
    descending: bool


@dataclasses.dataclass(frozen=True)
class Query:
    where: object | None
    order: tuple[Sort, ...]


def values_of(operand) -> list:
    """The values of an operand: a list's items, else the operand alone."""
    if isinstance(operand, ValueList):
        return list(operand.items)
    return [operand]


def tokenize(text: str) -> list[Token]:
    """The tokens of a JQL text, ending with an `end` token; an unclosed quote is an error."""
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise JqlError(f"JQL: cannot read {text[position:].strip()[:20]!r} (an unclosed quote?)")
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def parse(text: str) -> Query:
    """Parse a JQL text into a Query whose NOTs are pushed down to the clauses."""
    parser = _Parser(text)
    query = parser.query()
    return Query(negate(query.where, False) if query.where is not None else None, query.order)


def negate(node, negated: bool):
    """`node` with NOT pushed down (De Morgan); `negated` says whether an odd number of NOTs is above it."""
    if isinstance(node, Not):
        return negate(node.item, not negated)
    if isinstance(node, And | Or):
        items = tuple(negate(item, negated) for item in node.items)
        flip = isinstance(node, And) == negated
        return Or(items) if flip else And(items)
    if not negated:
        return node
    if node.operator == "changed":
        return Not(node)
    return dataclasses.replace(node, operator=NEGATED[node.operator])


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    # -- tokens ---------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        if token.kind == "end":
            raise JqlError(f"JQL: the query ended unexpectedly: {self.text.strip()!r}")
        self.pos += 1
        return token

    def accept(self, *words: str) -> bool:
        if self.peek().lower in words or (self.peek().kind == "op" and self.peek().text in words):
            self.pos += 1
            return True
        return False

    def expect(self, symbol: str, what: str) -> None:
        token = self.peek()
        if token.text.lower() != symbol or token.kind == "string":
            found = repr(token.text) if token.kind != "end" else "the end of the query"
            raise JqlError(f"JQL: expected {what} at position {token.position}, found {found}")
        self.pos += 1

    def at_order_by(self) -> bool:
        return self.peek().lower == "order" and self.peek(1).lower == "by"

    # -- grammar --------------------------------------------------------------------------------

    def query(self) -> Query:
        where = None
        if self.peek().kind != "end" and not self.at_order_by():
            where = self.or_expr()
        order: list[Sort] = []
        if self.at_order_by():
            self.pos += 2
            order.append(self.sort())
            while self.accept(","):
                order.append(self.sort())
        token = self.peek()
        if token.kind != "end":
            raise JqlError(f"JQL: unexpected {token.text!r} at position {token.position}")
        return Query(where, tuple(order))

    def sort(self) -> Sort:
        token = self.take()
        if token.kind == "op":
            raise JqlError(f"JQL: expected a field after ORDER BY, found {token.text!r}")
        descending = False
        if self.peek().lower in ("asc", "desc"):
            descending = self.take().lower == "desc"
        return Sort(token.value, descending)

    def or_expr(self):
        items = [self.and_expr()]
        while self.accept("or", "||", "|"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self):
        items = [self.unary()]
        while self.accept("and", "&&", "&"):
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self):
        if self.accept("not", "!"):
            return Not(self.unary())
        if self.accept("("):
            inner = self.or_expr()
            self.expect(")", "')'")
            return inner
        return self.clause()

    def clause(self) -> Clause:
        start = self.peek()
        if start.kind == "op" or start.lower in KEYWORDS - {"by"}:
            found = repr(start.text) if start.kind != "end" else "the end of the query"
            raise JqlError(f"JQL: expected a field name at position {start.position}, found {found}")
        field = self.take().value
        operator = self.operator(field)
        operand = None
        if operator in ("is", "is not"):
            token = self.take()
            if token.lower not in ("empty", "null"):
                raise JqlError(f"JQL: {field} {operator.upper()} must be followed by EMPTY, found {token.text!r}")
            operand = Empty()
        elif operator != "changed":
            operand = self.operand()
        predicates = self.predicates() if operator.startswith(("was", "changed")) else ()
        end = self.peek().position if self.peek().kind != "end" else len(self.text)
        return Clause(field, operator, operand, predicates, self.text[start.position : end].strip())

    def operator(self, field: str) -> str:
        token = self.take()
        if token.kind == "op" and token.text in ("=", "!=", ">", ">=", "<", "<=", "~", "!~"):
            return token.text
        word = token.lower
        if word == "in":
            return "in"
        if word == "not" and self.accept("in"):
            return "not in"
        if word == "is":
            return "is not" if self.accept("not") else "is"
        if word == "was":
            negated = self.accept("not")
            listed = self.accept("in")
            return "was" + (" not" if negated else "") + (" in" if listed else "")
        if word == "changed":
            return "changed"
        raise JqlError(f"JQL: {token.text!r} after {field!r} is not an operator (at position {token.position})")

    def operand(self):
        if self.peek().text == "(":
            self.pos += 1
            items = [self.value()]
            while self.accept(","):
                items.append(self.value())
            self.expect(")", "')' closing the list")
            return ValueList(tuple(items))
        return self.value()

    def value(self):
        token = self.take()
        if token.kind == "op":
            raise JqlError(f"JQL: expected a value at position {token.position}, found {token.text!r}")
        if token.kind == "word" and token.lower in ("empty", "null"):
            return Empty()
        if token.kind == "word" and self.peek().text == "(":
            self.pos += 1
            args: list[str] = []
            if not self.accept(")"):
                args.append(self.argument())
                while self.accept(","):
                    args.append(self.argument())
                self.expect(")", f"')' closing {token.text}(")
            return Function(token.text.lower(), tuple(args))
        return Literal(token.value, token.kind == "string")

    def argument(self) -> str:
        token = self.take()
        if token.kind == "op":
            raise JqlError(f"JQL: expected a function argument at position {token.position}, found {token.text!r}")
        return token.value

    def predicates(self) -> tuple[Predicate, ...]:
        found = []
        while self.peek().lower in PREDICATES:
            kind = self.take().lower
            if kind == "during":
                self.expect("(", "'(' after DURING")
                first = self.value()
                self.expect(",", "',' between the two DURING dates")
                second = self.value()
                self.expect(")", "')' closing DURING")
                found.append(Predicate(kind, (first, second)))
            else:
                found.append(Predicate(kind, (self.value(),)))
        return tuple(found)
