// A well-behaved uploaded section in two versions, shared by the
// `greeter-v1` and `greeter-v2` test plugins: version 2 asks for one more
// permission (job-read) and shows the job's reference with it. Section
// management stories install one and upgrade to the other.

use portico_plugin_sdk::prelude::*;

pub struct Greeter;

impl Section for Greeter {
    fn describe() -> Descriptor {
        let descriptor = Descriptor::new("greeter", "Greeter", VERSION)
            .description("Greets the people on a job.")
            .card(CardSpec::dashboard("hello", "Hello").everyone())
            .permission(Permission::Storage, "To remember how often it greeted someone.")
            .setting("greeting", "Greeting", SettingKind::Text, json!("Hello"))
            .setting("times", "Times", SettingKind::Integer, json!(1));
        if SHOWS_REFERENCE {
            descriptor.permission(Permission::JobRead, "To show the job's reference in the greeting.")
        } else {
            descriptor
        }
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        #[derive(serde::Deserialize)]
        struct Settings {
            greeting: String,
            times: i64,
        }
        let settings: Settings = ctx.settings()?;
        let mut text = format!("{} from greeter {VERSION}", settings.greeting).repeat(settings.times.clamp(1, 3) as usize);
        if SHOWS_REFERENCE {
            match job_data::get_job() {
                Ok(job) => text.push_str(&format!(" · job {}", job.reference)),
                Err(error) => text.push_str(&format!(" · {}", error.describe())),
            }
        }
        Ok(vec![Card::new("hello").text(text)])
    }
}
