//! The command grammar on any line, as bytes and as UTF-8: parsing never panics,
//! an error draws with its caret, and what the prompt does while typing (hint,
//! highlighting, completion) takes the same line. The whole input is also parsed
//! as a script, its errors drawn. The first byte picks the template's stack.
use rawlab::command::{self, Context};
use rawlab::render::{self, Style};
use rawlab::front::repl::{self, LabHelper};
use rawlab::wire::Protocol;
use rustyline::highlight::Highlighter;

fn line(text: &str, stack: &[&'static Protocol], pos_pick: usize) {
    match command::parse(text, &Context::new(stack)) {
        Ok(cmd) => {
            let _ = format!("{cmd:?}");
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end, "{e:?}");
            let _ = e.column(text);
            let mut out = Vec::new();
            for style in [
                Style::PLAIN,
                Style {
                    color: true,
                    fit: false,
                },
            ] {
                render::parse_error(&mut out, text, &(&e).into(), Some("f.rawlab:1:1"), &style).unwrap();
            }
        }
    }
    let _ = repl::hint(text, text.len(), stack);
    let helper = LabHelper::new(stack.to_vec(), true);
    let _ = helper.highlight(text, text.len());
    // Completion at a character boundary; `link` completes interface names, which asks
    // the kernel over netlink, and a fuzz target opens no socket.
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let pos = bounds[pos_pick % bounds.len()];
    if !text.to_ascii_lowercase().contains("link") {
        if let Some((start, words)) = repl::complete(text, pos, stack) {
            assert!(start <= pos, "completion starts after the cursor");
            let _ = words;
        }
        let _ = repl::hint(text, pos, stack);
    }
}

/// One input of the `command` target.
pub fn run(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let stacks = crate::stacks();
    let stack = &stacks[usize::from(pick) % stacks.len()];
    let text = String::from_utf8_lossy(bytes);
    // The first line as typed at the prompt; the whole input as a script file.
    line(
        text.split('\n').next().unwrap_or(""),
        stack,
        usize::from(pick),
    );
    if let Err(errors) = rawlab::command::script::parse(&text, stack) {
        let mut out = Vec::new();
        for e in errors.iter().take(8) {
            render::parse_error(
                &mut out,
                &e.text,
                &(&e.error).into(),
                Some("f.rawlab:1:1"),
                &Style::PLAIN,
            )
            .unwrap();
        }
    }
}
