//! Shows the verdict for the text in the code field.

use leptos::prelude::*;
use tracecode_core::code::NotOurCode;
use tracecode_core::verify::TrustListAge;
use tracecode_core::{verdict_of, verify_text, Rejection, TrustList, Verdict, VerifiedCode};

/// Symbol, headline and CSS class of a verdict: the symbol and words carry the meaning, the
/// colour only repeats it.
fn presentation(verdict: Verdict) -> (&'static str, &'static str, &'static str) {
    match verdict {
        Verdict::Genuine => ("✔", "Genuine: issued by the brand", "good"),
        Verdict::Tampered => (
            "✖",
            "Code invalid: its data was altered. Beware of fakes.",
            "bad",
        ),
        Verdict::UnknownIssuer => (
            "✖",
            "Code invalid: not issued by a trusted brand key. Beware of fakes.",
            "bad",
        ),
        Verdict::Revoked => ("⚠", "Revoked: do not trust this unit.", "bad"),
        Verdict::OutsideKeyWindow => (
            "✖",
            "Code invalid: the key was not valid on its production day.",
            "bad",
        ),
        Verdict::NotOurCode => ("ℹ", "Not a tracecode product code.", "neutral"),
        Verdict::Malformed => ("✖", "Damaged or altered code: it cannot be read.", "bad"),
    }
}

/// The verdict card.
#[component]
pub fn VerdictView(trust: TrustList, code_text: ReadSignal<String>) -> impl IntoView {
    let outcome = Memo::new(move |_| {
        let text = code_text.get();
        let text = text.trim();
        (!text.is_empty()).then(|| verify_text(text, &trust, crate::device_now()))
    });
    move || {
        outcome.get().map(|outcome| {
            let (symbol, headline, class) = presentation(verdict_of(&outcome));
            let details = match &outcome {
                Ok(verified) => fields(verified).into_any(),
                Err(rejection) => explanation(rejection).into_any(),
            };
            view! {
                <section class=format!("verdict {class}") aria-live="polite" data-verdict=format!("{:?}", verdict_of(&outcome))>
                    <h2><span class="symbol" aria-hidden="true">{symbol}</span>" "{headline}</h2>
                    {details}
                </section>
            }
        })
    }
}

fn fields(verified: &VerifiedCode) -> impl IntoView {
    let data = &verified.code().data;
    let lot = data
        .lot
        .as_ref()
        .map_or("—".to_owned(), ToString::to_string);
    let region = format!("{} ({})", data.region, data.region.province_name_en());
    let age = match verified.trust_list_age() {
        TrustListAge::Current => None,
        TrustListAge::Expired { since } => Some(format!(
            "The trust list expired on {}: recent revocations may be missing. Connect to update it.",
            since.date()
        )),
        TrustListAge::FromTheFuture { .. } => Some(
            "The trust list is newer than this device's clock: check the date and time settings."
                .to_owned(),
        ),
    };
    view! {
        <dl class="fields">
            <dt>"Brand"</dt><dd>{verified.brand().to_owned()}</dd>
            <dt>"GTIN"</dt><dd>{data.gtin.to_string()}</dd>
            <dt>"Lot"</dt><dd>{lot}</dd>
            <dt>"Serial"</dt><dd>{data.serial.to_string()}</dd>
            <dt>"Production day"</dt><dd>{data.day.to_string()}</dd>
            <dt>"Sales region"</dt><dd>{region}</dd>
            <dt>"Trust list"</dt><dd>{format!("version {}", verified.trust_list_version())}</dd>
        </dl>
        {age.map(|message| view! { <p class="warning" role="alert">"⚠ "{message}</p> })}
    }
}

fn explanation(rejection: &Rejection) -> impl IntoView {
    let text = match rejection {
        Rejection::NotOurCode(NotOurCode::WebLink | NotOurCode::OtherScheme) => {
            "This is a link, not a product code. Open it only if you trust where it came from."
                .to_owned()
        }
        Rejection::NotOurCode(_) => "This text is not a product code.".to_owned(),
        other => other.to_string(),
    };
    view! { <p class="reason">{text}</p> }
}
