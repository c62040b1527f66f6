//! Just enough Markdown, read as GitHub renders it, for the docs test: code blocks (fenced or
//! indented), inline code spans, links, and headings with their anchors.

/// A block of a page: code (its lines, as written) or prose (a paragraph, a heading, a table,
/// with its lines joined by spaces).
#[derive(Debug, PartialEq)]
pub enum Block {
    Code(Vec<String>),
    Prose(String),
}

/// Whether `line` starts a list item (`- `, `* `, `1. `).
fn is_list_item(line: &str) -> bool {
    let t = line.trim_start();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    t.starts_with("- ") || t.starts_with("* ") || (digits > 0 && t[digits..].starts_with(". "))
}

/// Splits a page into blocks. An indented line starts a code block only after a blank line that
/// does not follow a list (where it would continue the list item instead).
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut prose: Vec<&str> = Vec::new();
    let mut fence: Option<(&str, Vec<String>)> = None;
    let mut indented: Option<Vec<String>> = None;
    let mut in_list = false;
    let mut after_blank = true;
    let flush = |prose: &mut Vec<&str>, out: &mut Vec<Block>| {
        if !prose.is_empty() {
            out.push(Block::Prose(prose.join(" ")));
            prose.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some((marker, code)) = &mut fence {
            if trimmed.starts_with(*marker) {
                out.push(Block::Code(std::mem::take(code)));
                fence = None;
            } else {
                code.push(line.to_string());
            }
            continue;
        }
        let is_indented = line.starts_with("    ") || line.starts_with('\t');
        if let Some(code) = &mut indented {
            if is_indented || line.trim().is_empty() {
                code.push(line.to_string());
                continue;
            }
            out.push(Block::Code(std::mem::take(code)));
            indented = None;
        }
        if line.trim().is_empty() {
            flush(&mut prose, &mut out);
            after_blank = true;
            continue;
        }
        if let Some(marker) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
            flush(&mut prose, &mut out);
            fence = Some((marker, Vec::new()));
            continue;
        }
        if is_indented && after_blank && !in_list {
            indented = Some(vec![line.to_string()]);
            continue;
        }
        if trimmed.starts_with('#') {
            flush(&mut prose, &mut out);
            out.push(Block::Prose(line.to_string()));
            in_list = false;
        } else {
            if after_blank {
                in_list = is_list_item(line);
            } else {
                in_list |= is_list_item(line);
            }
            prose.push(line);
        }
        after_blank = false;
    }
    flush(&mut prose, &mut out);
    if let Some((_, code)) = fence {
        out.push(Block::Code(code));
    }
    if let Some(code) = indented {
        out.push(Block::Code(code));
    }
    out
}

/// The inline code spans of a prose block, and the block with each span blanked out (so that
/// nothing inside code reads as a link).
pub fn code_spans(prose: &str) -> (Vec<String>, String) {
    let chars: Vec<char> = prose.chars().collect();
    let mut spans = Vec::new();
    let mut rest = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            rest.push(chars[i]);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|c| **c == '`').count();
        let body = i + run;
        let close = (body..chars.len()).find(|&j| {
            chars[j..].iter().take_while(|c| **c == '`').count() == run
                && (j == 0 || chars[j - 1] != '`')
        });
        match close {
            Some(j) => {
                spans.push(chars[body..j].iter().collect::<String>().trim().to_string());
                rest.push(' ');
                i = j + run;
            }
            None => {
                rest.extend(&chars[i..body]);
                i = body;
            }
        }
    }
    (spans, rest)
}

/// The targets of the inline links and images (`[text](target "title")`) and of the reference
/// definitions (`[name]: target`) of a prose block with its code spans blanked out.
pub fn link_targets(prose: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut from = 0;
    while let Some(at) = prose[from..].find("](") {
        let start = from + at + 2;
        let Some(len) = prose[start..].find(')') else {
            break;
        };
        let inner = prose[start..start + len].trim();
        let target = inner.split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(['<', '>']).to_string());
        from = start + len;
    }
    let definition = prose.trim_start();
    if let Some(end) = definition.strip_prefix('[').and_then(|d| d.find("]:")) {
        let after = &definition[1 + end + 2..];
        if let Some(target) = after.split_whitespace().next() {
            targets.push(target.trim_matches(['<', '>']).to_string());
        }
    }
    targets
}

/// GitHub's anchor of a heading's text: the rendered text (no code ticks, emphasis stars or link
/// targets) lower-cased, every character but letters, digits, `-`, `_` and spaces dropped, and
/// spaces made `-`.
pub fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    while let Some(open) = rest.find('[') {
        match rest[open..].find("](") {
            Some(mid) => {
                let close = rest[open + mid..]
                    .find(')')
                    .map_or(rest.len(), |c| open + mid + c);
                text.push_str(&rest[..open]);
                text.push_str(&rest[open + 1..open + mid]);
                rest = &rest[(close + 1).min(rest.len())..];
            }
            None => break,
        }
    }
    text.push_str(rest);
    text.chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings, a repeated one numbered as GitHub does (`x`, `x-1`, ...).
pub fn anchors(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for block in blocks(text) {
        let Block::Prose(line) = block else { continue };
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(line[hashes..].trim().trim_end_matches('#').trim());
        let repeats = seen
            .iter()
            .filter(|s| **s == base || s.strip_prefix(&format!("{base}-")).is_some_and(is_count))
            .count();
        seen.push(if repeats == 0 {
            base
        } else {
            format!("{base}-{repeats}")
        });
    }
    seen
}

fn is_count(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}
