//! The skip logic of a questionnaire (XLSForm's `relevant` column), the subset gridline reads:
//! `${q} = 'v'`, `!=`, `<`, `<=`, `>`, `>=` against a text or a number, `selected(${q}, 'v')`,
//! `not(…)`, `and`, `or`, parentheses, and a bare `${q}` (answered). Anything else — functions
//! other than `selected` and `not`, arithmetic, `.` — is refused with the place it stops at.

use std::collections::BTreeMap;

/// A parsed `relevant` expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Op, Operand),
    Selected(String, String),
    /// A bare reference: the question is answered.
    Answered(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Ref(String),
    Text(String),
    Number(f64),
}

/// An answer as the skip logic sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Choices(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ref(String),
    Text(String),
    Number(f64),
    Word(String),
    Op(Op),
    Open,
    Close,
    Comma,
}

fn tokens(src: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '$' => {
                if chars.get(i + 1) != Some(&'{') {
                    return Err(format!("a reference is written ${{name}} (at character {})", i + 1));
                }
                let end = chars[i..].iter().position(|&c| c == '}').ok_or_else(|| format!("the reference at character {} is not closed with }}", i + 1))?;
                let name: String = chars[i + 2..i + end].iter().collect();
                if name.trim().is_empty() {
                    return Err(format!("an empty reference ${{}} at character {}", i + 1));
                }
                out.push(Token::Ref(name.trim().to_owned()));
                i += end + 1;
            }
            '\'' | '"' => {
                let end = chars[i + 1..].iter().position(|&q| q == c).ok_or_else(|| format!("the text at character {} is not closed", i + 1))?;
                out.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '=' => {
                out.push(Token::Op(Op::Eq));
                i += 1;
            }
            '!' | '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                let op = match (c, eq) {
                    ('!', true) => Op::Ne,
                    ('<', true) => Op::Le,
                    ('>', true) => Op::Ge,
                    ('<', false) => Op::Lt,
                    ('>', false) => Op::Gt,
                    _ => return Err(format!("unexpected ! at character {}", i + 1)),
                };
                out.push(Token::Op(op));
                i += if eq { 2 } else { 1 };
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Token::Number(text.parse().map_err(|_| format!("{text:?} is not a number"))?));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '-') {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(format!("{other:?} at character {} is not supported", i + 1)),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == token => Ok(()),
            other => Err(format!("expected {what}, found {}", describe(other.as_ref()))),
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while matches!(self.peek(), Some(Token::Word(w)) if w == "or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.term()?;
        while matches!(self.peek(), Some(Token::Word(w)) if w == "and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or()?;
                self.expect(Token::Close, ")")?;
                Ok(inner)
            }
            Some(Token::Word(w)) if w == "not" => {
                self.at += 1;
                self.expect(Token::Open, "( after not")?;
                let inner = self.or()?;
                self.expect(Token::Close, ")")?;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Token::Word(w)) if w == "selected" => {
                self.at += 1;
                self.expect(Token::Open, "( after selected")?;
                let Some(Token::Ref(name)) = self.next() else { return Err("selected( takes a ${question} first".into()) };
                self.expect(Token::Comma, ", in selected(…)")?;
                let value = match self.next() {
                    Some(Token::Text(v)) => v,
                    Some(Token::Number(n)) => n.to_string(),
                    other => return Err(format!("selected(…) takes a choice's name second, not {}", describe(other.as_ref()))),
                };
                self.expect(Token::Close, ")")?;
                Ok(Expr::Selected(name, value))
            }
            Some(Token::Word(w)) => Err(format!("{w}(…) is not supported: only selected, not, and, or")),
            _ => {
                let left = self.operand()?;
                match self.peek() {
                    Some(Token::Op(op)) => {
                        let op = *op;
                        self.at += 1;
                        Ok(Expr::Compare(left, op, self.operand()?))
                    }
                    _ => match left {
                        Operand::Ref(name) => Ok(Expr::Answered(name)),
                        _ => Err("a text or number alone is not a condition".into()),
                    },
                }
            }
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.next() {
            Some(Token::Ref(name)) => Ok(Operand::Ref(name)),
            Some(Token::Text(text)) => Ok(Operand::Text(text)),
            Some(Token::Number(n)) => Ok(Operand::Number(n)),
            other => Err(format!("expected ${{question}}, a text or a number, found {}", describe(other.as_ref()))),
        }
    }
}

fn describe(token: Option<&Token>) -> String {
    match token {
        None => "the end".into(),
        Some(Token::Ref(n)) => format!("${{{n}}}"),
        Some(Token::Text(t)) => format!("'{t}'"),
        Some(Token::Number(n)) => n.to_string(),
        Some(Token::Word(w)) => w.clone(),
        Some(Token::Op(op)) => format!("{op:?}"),
        Some(Token::Open) => "(".into(),
        Some(Token::Close) => ")".into(),
        Some(Token::Comma) => ",".into(),
    }
}

impl Expr {
    pub fn parse(src: &str) -> Result<Expr, String> {
        let mut parser = Parser { tokens: tokens(src)?, at: 0 };
        let expr = parser.or()?;
        if parser.at < parser.tokens.len() {
            return Err(format!("unexpected {} after a complete condition", describe(parser.peek())));
        }
        Ok(expr)
    }

    /// The questions it refers to, with the texts compared to each (to check them against the
    /// question's choices).
    pub fn references(&self) -> Vec<(&str, Option<&str>)> {
        let mut out = Vec::new();
        self.walk(&mut out);
        out
    }

    fn walk<'a>(&'a self, out: &mut Vec<(&'a str, Option<&'a str>)>) {
        match self {
            Expr::Or(a, b) | Expr::And(a, b) => {
                a.walk(out);
                b.walk(out);
            }
            Expr::Not(a) => a.walk(out),
            Expr::Selected(name, value) => out.push((name, Some(value))),
            Expr::Answered(name) => out.push((name, None)),
            Expr::Compare(a, _, b) => match (a, b) {
                (Operand::Ref(n), Operand::Text(t)) | (Operand::Text(t), Operand::Ref(n)) => out.push((n, Some(t))),
                _ => {
                    for operand in [a, b] {
                        if let Operand::Ref(n) = operand {
                            out.push((n, None));
                        }
                    }
                }
            },
        }
    }

    /// Whether the condition holds for the answers given so far (an unanswered question is empty).
    pub fn holds(&self, answers: &BTreeMap<String, Value>) -> bool {
        match self {
            Expr::Or(a, b) => a.holds(answers) || b.holds(answers),
            Expr::And(a, b) => a.holds(answers) && b.holds(answers),
            Expr::Not(a) => !a.holds(answers),
            Expr::Answered(name) => answers.contains_key(name),
            Expr::Selected(name, value) => match answers.get(name) {
                Some(Value::Choices(list)) => list.iter().any(|c| c == value),
                Some(Value::Text(t)) => t == value,
                Some(Value::Number(n)) => value.parse::<f64>().is_ok_and(|v| v == *n),
                None => false,
            },
            Expr::Compare(a, op, b) => {
                let value = |o: &Operand| -> Option<Value> {
                    match o {
                        Operand::Ref(name) => answers.get(name).cloned(),
                        Operand::Text(t) => Some(Value::Text(t.clone())),
                        Operand::Number(n) => Some(Value::Number(*n)),
                    }
                };
                compare(value(a), *op, value(b))
            }
        }
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Text(t) => t.trim().parse().ok(),
        Value::Choices(_) => None,
    }
}

fn text(value: &Option<Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::Text(t)) => t.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Choices(c)) => c.join(" "),
    }
}

/// XPath's comparison as forms use it: numbers when both sides read as numbers, else texts (an
/// unanswered question is the empty text, so `${q} = ''` asks whether it is unanswered).
fn compare(a: Option<Value>, op: Op, b: Option<Value>) -> bool {
    if let (Some(x), Some(y)) = (a.as_ref().and_then(number), b.as_ref().and_then(number)) {
        return match op {
            Op::Eq => x == y,
            Op::Ne => x != y,
            Op::Lt => x < y,
            Op::Le => x <= y,
            Op::Gt => x > y,
            Op::Ge => x >= y,
        };
    }
    let (x, y) = (text(&a), text(&b));
    match op {
        Op::Eq => x == y,
        Op::Ne => x != y,
        // Ordering needs numbers: an empty or non-numeric side never satisfies it.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn conditions_read_and_hold_as_xlsform_means_them() {
        let e = Expr::parse("${live} = 'yes' and (${age} >= 18 or selected(${use}, 'bus'))").unwrap();
        let a = answers(&[("live", Value::Text("yes".into())), ("age", Value::Number(17.0)), ("use", Value::Choices(vec!["bus".into(), "metro".into()]))]);
        assert!(e.holds(&a));
        let b = answers(&[("live", Value::Text("yes".into())), ("age", Value::Number(17.0)), ("use", Value::Choices(vec!["metro".into()]))]);
        assert!(!e.holds(&b));
        assert!(Expr::parse("not(${live} = 'no')").unwrap().holds(&answers(&[])));
        assert!(Expr::parse("${live} != ''").unwrap().holds(&a));
        assert!(!Expr::parse("${live} != ''").unwrap().holds(&answers(&[])));
        assert_eq!(e.references(), vec![("live", Some("yes")), ("age", None), ("use", Some("bus"))]);
    }

    #[test]
    fn what_is_beyond_the_subset_is_refused_with_where_it_stops() {
        assert!(Expr::parse("count-selected(${x}) > 1").unwrap_err().contains("not supported"));
        assert!(Expr::parse("${x} = 'a").unwrap_err().contains("not closed"));
        assert!(Expr::parse("${x = 'a'").unwrap_err().contains("not closed"));
        assert!(Expr::parse("${x} = 'a' ${y}").unwrap_err().contains("unexpected"));
        assert!(Expr::parse(". > 3").unwrap_err().contains("not supported"));
        assert!(Expr::parse("${x} + 1 > 3").unwrap_err().contains("not supported"));
    }
}
