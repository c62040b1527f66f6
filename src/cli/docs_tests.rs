//! Keeps the documentation true: every relative link of README.md, docs/ and jetson/README.md
//! resolves (the file exists; a `#anchor` is a heading of the target), every page of docs/ is
//! linked from README.md, every `smoothscale ...` command of README.md parses with the real
//! command line (nothing is run), and README.md stays within 8 KiB.

mod markdown;

use std::fs;
use std::path::{Component, Path, PathBuf};

use clap::error::ErrorKind;
use clap::Parser;

use self::markdown::{anchors, blocks, code_spans, link_targets, Block};
use super::Cli;

/// The README's size limit: a page a newcomer reads in three minutes.
const README_MAX_BYTES: u64 = 8192;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The Markdown files of `dir` and its subfolders, sorted.
fn markdown_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            found.extend(markdown_under(&path));
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The pages whose links are checked.
fn checked_pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md"), root().join("jetson/README.md")];
    pages.extend(markdown_under(&root().join("docs")));
    pages
}

/// The link targets of a page, outside code.
fn links_of(text: &str) -> Vec<String> {
    blocks(text)
        .into_iter()
        .filter_map(|b| match b {
            Block::Prose(p) => Some(link_targets(&code_spans(&p).1)),
            Block::Code(_) => None,
        })
        .flatten()
        .collect()
}

/// `path` with `.` and `..` resolved, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Why a relative link `target` of the page `page` does not resolve, or `None`.
fn broken(page: &Path, target: &str) -> Option<String> {
    let (file, anchor) = match target.split_once('#') {
        Some((f, a)) => (f, Some(a)),
        None => (target, None),
    };
    let resolved = if file.is_empty() {
        page.to_path_buf()
    } else {
        normalise(&page.parent().expect("a page's folder").join(file))
    };
    if !resolved.starts_with(root()) {
        return Some("points outside the repository".into());
    }
    if !resolved.exists() {
        return Some(format!("{} does not exist", resolved.display()));
    }
    let anchor = anchor?;
    if resolved.extension().is_none_or(|e| e != "md") {
        return Some(format!("#{anchor} in a file that is not Markdown"));
    }
    let headings = anchors(&read(&resolved));
    (!headings.iter().any(|h| h == anchor)).then(|| {
        format!(
            "{} has no heading #{anchor} (it has: {})",
            resolved.display(),
            headings.join(", ")
        )
    })
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

/// The `smoothscale ...` command lines of a page: in code blocks (continued over lines ending in
/// `\`) and in inline code.
fn commands_of(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    for block in blocks(text) {
        match block {
            Block::Code(lines) => {
                let mut pending: Option<String> = None;
                for line in lines {
                    let line = line.trim();
                    let line = line.strip_prefix("$ ").unwrap_or(line);
                    let joined = match pending.take() {
                        Some(start) => format!("{start} {line}"),
                        None if line.starts_with("smoothscale ") => line.to_string(),
                        None => continue,
                    };
                    match joined.strip_suffix('\\') {
                        Some(start) => pending = Some(start.trim_end().to_string()),
                        None => commands.push(joined),
                    }
                }
                commands.extend(pending);
            }
            Block::Prose(p) => commands.extend(
                code_spans(&p)
                    .0
                    .into_iter()
                    .filter(|s| s.starts_with("smoothscale ")),
            ),
        }
    }
    commands
}

/// Splits a command line into words as a shell would for these pages: quotes, backslash escapes
/// and a `#` comment at the start of a word; nothing is expanded.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => word.get_or_insert_default().extend(chars.next()),
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, '\\') => word.get_or_insert_default().extend(chars.next()),
            (None, '#') if word.is_none() => break,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

/// Parses a command line with the real parser; the error clap gives, if any. `--help` and
/// `--version` count as parsing.
fn parse_error(line: &str) -> Option<String> {
    match Cli::try_parse_from(words(line)) {
        Ok(_) => None,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => None,
        Err(e) => Some(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

#[test]
fn docs_relative_links_resolve() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for page in checked_pages() {
        for target in links_of(&read(&page)) {
            if is_external(&target) {
                continue;
            }
            checked += 1;
            if let Some(why) = broken(&page, &target) {
                failures.push(format!("{}: ({target}): {why}", page.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "broken links:\n{}",
        failures.join("\n")
    );
    assert!(
        checked >= 20,
        "only {checked} relative links found: is the reader broken?"
    );
}

#[test]
fn docs_pages_are_all_linked_from_the_readme() {
    let readme = root().join("README.md");
    let linked: Vec<PathBuf> = links_of(&read(&readme))
        .iter()
        .filter(|t| !is_external(t))
        .map(|t| normalise(&root().join(t.split('#').next().unwrap_or_default())))
        .collect();
    let docs = root().join("docs");
    let pages = fs::read_dir(&docs)
        .expect("docs/")
        .map(|e| e.expect("entry").path());
    let missing: Vec<String> = pages
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !linked.contains(p))
        .map(|p| p.display().to_string())
        .collect();
    assert!(missing.is_empty(), "not linked from README.md: {missing:?}");
}

#[test]
fn docs_readme_commands_parse() {
    let commands = commands_of(&read(&root().join("README.md")));
    let failures: Vec<String> = commands
        .iter()
        .filter_map(|c| parse_error(c).map(|e| format!("`{c}`: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "README commands that do not parse:\n{}",
        failures.join("\n")
    );
    for sub in ["run", "batch", "doctor", "engine-build"] {
        assert!(
            commands
                .iter()
                .any(|c| c.split_whitespace().nth(1) == Some(sub)),
            "no `smoothscale {sub}` command found in README.md: {commands:?}"
        );
    }
}

#[test]
fn docs_readme_is_short() {
    let size = fs::metadata(root().join("README.md"))
        .expect("README.md")
        .len();
    assert!(
        size <= README_MAX_BYTES,
        "README.md is {size} bytes, over {README_MAX_BYTES}"
    );
}

#[test]
fn docs_checker_refuses_what_clap_refuses() {
    assert_eq!(
        parse_error("smoothscale run a.mp4 b.mp4 --interpolate 2x"),
        None
    );
    assert_eq!(parse_error("smoothscale help run"), None);
    for bad in [
        "smoothscale run a.mp4 b.mp4 --no-such-option",
        "smoothscale run a.mp4",
        "smoothscale run a.mp4 b.mp4 --upscale 3x",
        "smoothscale frobnicate",
    ] {
        assert!(parse_error(bad).is_some(), "{bad} parsed");
    }
}

#[test]
fn docs_reader_finds_commands_links_and_anchors() {
    let page = "# Top `x`\n\nSee [a](a.md#b-c) and `[not](a link)`, run `smoothscale doctor`.\n\n\
                - item\n\n    continued item, not code\n\n    smoothscale run a.mp4 b.mp4 \\\n        \
                --upscale 2x   # a comment\n\n```sh\nsmoothscale verify '--golden' \"dir x\"\n```\n\n\
                ## B: c?\n## B: c?\n";
    assert_eq!(links_of(page), ["a.md#b-c"]);
    assert_eq!(
        commands_of(page),
        [
            "smoothscale doctor",
            "smoothscale run a.mp4 b.mp4 --upscale 2x   # a comment",
            "smoothscale verify '--golden' \"dir x\""
        ]
    );
    assert_eq!(
        words("smoothscale verify '--golden' \"dir x\" # c"),
        ["smoothscale", "verify", "--golden", "dir x"]
    );
    assert_eq!(anchors(page), ["top-x", "b-c", "b-c-1"]);
    assert_eq!(
        markdown::slug("Stopping and kill -9"),
        "stopping-and-kill--9"
    );
}
