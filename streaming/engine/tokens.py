"""Tokenizer for the Stream Analytics query language: text -> tokens carrying line and column."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from streaming.engine.errors import TokenizeError


class TokenType(Enum):
    IDENTIFIER = "identifier"
    QUOTED_IDENTIFIER = "quoted identifier"
    NUMBER = "number"
    STRING = "string"
    OPERATOR = "operator"
    EOF = "end of query"


@dataclass(frozen=True)
class Token:
    """One token; `line` and `column` are 1-based and point at its first character."""

    type: TokenType
    text: str
    line: int
    column: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.type is TokenType.IDENTIFIER else ""

    def describe(self) -> str:
        return "end of query" if self.type is TokenType.EOF else repr(self.text)


_TWO_CHAR_OPERATORS = ("<>", "!=", "<=", ">=")
_ONE_CHAR_OPERATORS = set("=<>+-*/%(),.;{}:|?")  # `|` and `?`: MATCH_RECOGNIZE patterns


class _Cursor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.column = 1

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> str:
        taken = self.text[self.pos : self.pos + count]
        for char in taken:
            if char == "\n":
                self.line += 1
                self.column = 1
            else:
                self.column += 1
        self.pos += count
        return taken


def tokenize(text: str) -> list[Token]:
    """Split query text into tokens, skipping whitespace and `--` / `/* */` comments."""
    cursor = _Cursor(text)
    tokens: list[Token] = []
    while True:
        char = cursor.peek()
        if not char:
            break
        line, column = cursor.line, cursor.column
        if char.isspace():
            cursor.advance()
        elif char == "-" and cursor.peek(1) == "-":
            while cursor.peek() and cursor.peek() != "\n":
                cursor.advance()
        elif char == "/" and cursor.peek(1) == "*":
            cursor.advance(2)
            while not (cursor.peek() == "*" and cursor.peek(1) == "/"):
                if not cursor.peek():
                    raise TokenizeError("comment '/*' is never closed", line, column)
                cursor.advance()
            cursor.advance(2)
        elif char == "'":
            tokens.append(Token(TokenType.STRING, _quoted(cursor, "'", "'", "string"), line, column))
        elif char == "[":
            tokens.append(
                Token(TokenType.QUOTED_IDENTIFIER, _quoted(cursor, "[", "]", "identifier"), line, column)
            )
        elif char == '"':
            tokens.append(
                Token(TokenType.QUOTED_IDENTIFIER, _quoted(cursor, '"', '"', "identifier"), line, column)
            )
        elif char.isdigit() or (char == "." and cursor.peek(1).isdigit()):
            tokens.append(Token(TokenType.NUMBER, _number(cursor), line, column))
        elif char.isalpha() or char in "_@":
            start = cursor.pos
            while cursor.peek() and (cursor.peek().isalnum() or cursor.peek() in "_@$"):
                cursor.advance()
            tokens.append(Token(TokenType.IDENTIFIER, text[start : cursor.pos], line, column))
        elif text.startswith(_TWO_CHAR_OPERATORS, cursor.pos):
            tokens.append(Token(TokenType.OPERATOR, cursor.advance(2), line, column))
        elif char in _ONE_CHAR_OPERATORS:
            tokens.append(Token(TokenType.OPERATOR, cursor.advance(), line, column))
        else:
            raise TokenizeError(f"unexpected character {char!r}", line, column)
    tokens.append(Token(TokenType.EOF, "", cursor.line, cursor.column))
    return tokens


def _quoted(cursor: _Cursor, opening: str, closing: str, what: str) -> str:
    """Read a quoted literal; a doubled closing character stands for itself ('it''s', [a]]b])."""
    line, column = cursor.line, cursor.column
    cursor.advance()
    chars: list[str] = []
    while True:
        char = cursor.peek()
        if not char:
            raise TokenizeError(f"{what} starting with {opening} is never closed", line, column)
        cursor.advance()
        if char == closing:
            if cursor.peek() == closing:
                cursor.advance()
                chars.append(closing)
                continue
            return "".join(chars)
        chars.append(char)


def _number(cursor: _Cursor) -> str:
    start = cursor.pos
    while cursor.peek().isdigit():
        cursor.advance()
    if cursor.peek() == "." and cursor.peek(1).isdigit():
        cursor.advance()
        while cursor.peek().isdigit():
            cursor.advance()
    if cursor.peek() in ("e", "E") and (cursor.peek(1).isdigit() or cursor.peek(1) in "+-"):
        cursor.advance(2)
        while cursor.peek().isdigit():
            cursor.advance()
    return cursor.text[start : cursor.pos]
