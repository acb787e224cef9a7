//! The commands lessons and tasks are made of: `expect`, `predict`, `task`, `hint`,
//! `end`, `give up`, `privilege`, `lesson`, `say` and `help`.

use super::*;

pub(in crate::command) fn expect(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    Ok(Command::Expect(parse_expect(args, ctx)?))
}

pub(in crate::command) fn expect_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Words(crate::command::expect::KINDS)],
        [w] if w.eq_ignore_ascii_case("no") => vec![Offer::Words(&["reply"])],
        [w] if w.eq_ignore_ascii_case("ping") => vec![Offer::Words(&["received"])],
        [w] if w.eq_ignore_ascii_case("captured") => vec![Offer::Words(&["by"])],
        [w] if w.eq_ignore_ascii_case("counted") => {
            vec![Offer::Words(crate::command::expect::COUNTER_TABLES)]
        }
        [w, b] if w.eq_ignore_ascii_case("captured") && b.eq_ignore_ascii_case("by") => {
            vec![Offer::Words(crate::command::expect::SOCKETS)]
        }
        [w] if w.eq_ignore_ascii_case("refused") => {
            vec![Offer::Words(crate::command::expect::ERRNO_NAMES)]
        }
        [w] if w.eq_ignore_ascii_case("reply") => {
            vec![
                Offer::Fields { everywhere: true },
                Offer::Words(&["like", "within"]),
            ]
        }
        [w, l] if w.eq_ignore_ascii_case("reply") && l.eq_ignore_ascii_case("like") => {
            vec![Offer::Fields { everywhere: true }]
        }
        [w] if w.eq_ignore_ascii_case("last") || w.eq_ignore_ascii_case("set") => {
            vec![Offer::Fields { everywhere: true }]
        }
        [w] if w.to_ascii_lowercase().starts_with("kernel-") => {
            vec![Offer::Fields { everywhere: true }]
        }
        _ => Vec::new(),
    }
}

pub(in crate::command) fn predict(args: &mut Args, ctx: &Context) -> Result<Command, ParseError> {
    Ok(Command::Predict(crate::command::predict::parse_predict(
        args, ctx,
    )?))
}

pub(in crate::command) fn predict_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    match done {
        [] => vec![Offer::Note("a question in quotes")],
        [_] => vec![Offer::Words(&["->"])],
        [_, _] => vec![Offer::Words(crate::command::predict::KINDS)],
        [_, _, r] if r.eq_ignore_ascii_case("reply") => {
            vec![Offer::Fields { everywhere: true }, Offer::Words(&["byte"])]
        }
        _ => Vec::new(),
    }
}

pub(in crate::command) fn task(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("the goal, in quotes")?;
    if !t.quoted || t.text.trim().is_empty() {
        return Err(ParseError::new(
            t.span.clone(),
            if t.quoted {
                "the goal is empty"
            } else {
                "the goal goes in quotes"
            },
        )
        .expected("task \"GOAL\"")
        .suggest(Some(
            "for example: task \"Make the kernel answer a payload of your own\"".into(),
        )));
    }
    Ok(Command::Task(t.text.trim().to_string()))
}

pub(in crate::command) fn hint(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let from = args.tokens.first().map_or(args.end, |t| t.span.start);
    args.pos = args.tokens.len();
    let text = args.line[from..].trim();
    Ok(Command::Hint((!text.is_empty()).then(|| text.to_string())))
}

/// What `end` closes.
const BLOCKS: &[&str] = &["task", "solution"];

pub(in crate::command) fn end(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("what it closes: task or solution")?;
    match t.text.to_ascii_lowercase().as_str() {
        "task" => Ok(Command::End(Block::Task)),
        "solution" => Ok(Command::End(Block::Solution)),
        _ => Err(
            ParseError::new(t.span.clone(), format!("cannot end `{}`", t.shown()))
                .expected("end task, or end solution")
                .suggest(did_you_mean(&t.text, BLOCKS.iter().copied()).or(Some(
                    "`end task` closes a task, `end solution` its reference solution".into(),
                ))),
        ),
    }
}

pub(in crate::command) fn end_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(BLOCKS)]
    } else {
        Vec::new()
    }
}

pub(in crate::command) fn give(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("`up`, as in: give up")?;
    if !t.text.eq_ignore_ascii_case("up") {
        return Err(
            ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                .expected("give up")
                .suggest(Some(
                    "`give up` shows the task's reference solution and runs it".into(),
                )),
        );
    }
    Ok(Command::GiveUp)
}

pub(in crate::command) fn privilege(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.next("`off` or `on`")?;
    match t.text.to_ascii_lowercase().as_str() {
        "off" | "drop" => Ok(Command::Privilege(false)),
        "on" | "raise" => Ok(Command::Privilege(true)),
        _ => Err(
            ParseError::new(t.span.clone(), format!("unexpected `{}`", t.shown()))
                .expected("off or on")
                .suggest(Some(
                    "`privilege off` gives up CAP_NET_RAW, `privilege on` takes it back".into(),
                )),
        ),
    }
}

pub(in crate::command) fn privilege_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(&["off", "on"])]
    } else {
        Vec::new()
    }
}

pub(in crate::command) fn give_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(&["up"])]
    } else {
        Vec::new()
    }
}

pub(in crate::command) fn lesson(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let Some(t) = args.pos_next() else {
        return Ok(Command::Lesson(LessonCmd::List));
    };
    Ok(Command::Lesson(
        match t.text.to_ascii_lowercase().as_str() {
            "list" => LessonCmd::List,
            "next" => LessonCmd::Next,
            "stop" | "off" | "end" => LessonCmd::Stop,
            key => match lessons::find(key) {
                Some(l) => LessonCmd::Start(l.name().to_string()),
                None => {
                    let names: Vec<&str> = lessons::all().iter().map(|l| l.name()).collect();
                    let last = lessons::all().last().and_then(|l| l.number()).unwrap_or(1);
                    return Err(ParseError::new(
                    t.span.clone(),
                    format!("there is no lesson `{}`", t.shown()),
                )
                .expected(format!(
                    "a lesson's number (1..={last}) or name, next, stop, or nothing for the list"
                ))
                .suggest(did_you_mean(key, names)));
                }
            },
        },
    ))
}

pub(in crate::command) fn lesson_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Words(LESSON_WORDS), Offer::Lessons]
    } else {
        Vec::new()
    }
}

pub(in crate::command) fn say(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let from = args.tokens.first().map_or(args.end, |t| t.span.start);
    args.pos = args.tokens.len();
    Ok(Command::Say(args.line[from..].trim().to_string()))
}

pub(in crate::command) fn help(args: &mut Args, _: &Context) -> Result<Command, ParseError> {
    let t = args.pos_next();
    if let Some(t) = t
        && command_info(&t.text).is_none()
    {
        return Err(ParseError::new(
            t.span.clone(),
            format!("no command is called `{}`", t.shown()),
        )
        .expected("a command name; `help` lists them")
        .suggest(did_you_mean(&t.text, COMMANDS.iter().map(|c| c.name))));
    }
    Ok(Command::Help(t.map(|t| t.text.to_ascii_lowercase())))
}

pub(in crate::command) fn help_offers(done: &[&str], _: &Context) -> Vec<Offer> {
    if done.is_empty() {
        vec![Offer::Commands]
    } else {
        Vec::new()
    }
}
