//! The `orglearn` binary: turns the result of the command into an exit code.

fn main() -> std::process::ExitCode {
    match orglearn::cli::main_with_args(std::env::args_os()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Causes already quoted in the message are not repeated.
            let mut shown = e.to_string();
            eprintln!("error: {shown}");
            let mut src = e.source();
            while let Some(s) = src {
                let text = s.to_string();
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                    shown.push_str(&text);
                }
                src = s.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}
