//! What people see, end to end: the built app served by a real registry, in headless Chromium
//! with a fake camera. Each test keeps screenshots in `target/e2e/screenshots/`.

use anyhow::Result;
use fantoccini::key::Key;
use tracecode_core::vectors;
use tracecode_e2e::enabled;
use tracecode_e2e::fixtures::{self, path_of, LOT, RECALLED_LOT};
use tracecode_e2e::world::World;

/// Every unit the registry knows, by test: serials never shared, so counts are the test's own.
const UNITS: &[(u64, &str)] = &[
    (1001, LOT),
    (1002, LOT),
    (1003, LOT),
    (1004, LOT),
    (1005, LOT),
    (1006, LOT),
    (1007, LOT),
    (1008, LOT),
    (1009, LOT),
    (2001, RECALLED_LOT),
];
const XSS_SERIAL: u64 = 1006;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genuine_code_shown_to_the_camera_is_genuine_with_its_provenance() -> Result<()> {
    if !enabled("genuine") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let code = fixtures::code(1001, LOT);
    let page = world
        .browser("genuine-camera", Some(&code), "en-US")
        .await?;
    page.open("/").await?;
    page.screenshot("1-start").await?;
    page.click("button.start-camera").await?;
    let headline = page.text_of(".verdict[data-verdict=Genuine] h2").await?;
    assert!(headline.contains("Genuine"), "{headline}");
    // The scanner read the exact text, and the camera is off again.
    let field = page.wait_for("#code-input").await?.prop("value").await?;
    assert_eq!(field.as_deref(), Some(code.as_str()));
    page.wait_for("button.start-camera").await?;
    // The online half: first query, then the timeline with the lot's QC certificate and the
    // raw-milk lot upstream.
    let answer = page.text_of("[data-answer=first]").await?;
    assert!(answer.contains("First query"), "{answer}");
    for step in ["transforming", "commissioning", "inspecting", "shipping"] {
        page.wait_for(&format!(".timeline li[data-step={step}]"))
            .await?;
    }
    let certificate = page
        .wait_for(".timeline li[data-step=inspecting] a.certificate")
        .await?;
    assert_eq!(
        certificate.attr("href").await?.as_deref(),
        Some(fixtures::CERTIFICATE_URL)
    );
    let upstream = page.text_of(".timeline .upstream").await?;
    assert!(upstream.contains("RAW-MILK-7"), "{upstream}");
    assert_eq!(page.count("[data-flag]").await?, 0);
    page.screenshot("2-verdict").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_that_are_not_genuine_say_so_from_the_camera() -> Result<()> {
    if !enabled("not genuine") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let revoked = vectors::vectors()
        .into_iter()
        .find(|v| v.name == "revoked-serial")
        .expect("the revoked-serial vector")
        .text;
    let cases = [
        (
            "tampered",
            fixtures::tampered_code(1001),
            "Tampered",
            "altered",
        ),
        (
            "unknown-key",
            fixtures::unknown_issuer_code(1001),
            "UnknownIssuer",
            "not issued by a trusted brand key",
        ),
        (
            "revoked",
            revoked,
            "Revoked",
            "label roll stolen in transit",
        ),
    ];
    for (name, code, verdict, words) in cases {
        let page = world.browser(name, Some(&code), "en-US").await?;
        page.open("/").await?;
        page.click("button.start-camera").await?;
        let card = page
            .text_of(&format!(".verdict[data-verdict={verdict}]"))
            .await?;
        assert!(card.contains(words), "{name}: {card}");
        // Nothing is asked of the registry for a code that is not genuine.
        assert_eq!(page.count("[data-answer]").await?, 0, "{name}");
        page.screenshot("verdict").await?;
        page.assert_clean().await?;
        page.close().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_opened_from_a_phone_camera_verifies_itself_and_counts_queries() -> Result<()> {
    if !enabled("native open") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let code = fixtures::code(1002, LOT);
    // A Chinese phone: the page speaks Chinese.
    let page = world.browser("native-open", None, "zh-CN").await?;
    page.open(path_of(&code)).await?;
    let headline = page.text_of(".verdict[data-verdict=Genuine] h2").await?;
    assert!(headline.contains("正品"), "{headline}");
    let answer = page.text_of("[data-answer=first]").await?;
    assert!(answer.contains("首次查询"), "{answer}");
    page.screenshot("1-first-zh").await?;
    // Opened again: already queried twice, first in an unknown place (the phone sent none).
    page.open(path_of(&code)).await?;
    let answer = page.text_of("[data-answer=repeat]").await?;
    assert!(answer.contains("已被查询 2 次"), "{answer}");
    page.screenshot("2-repeat-zh").await?;
    // The language switch: English, and it stays English on reload.
    page.click("button.language").await?;
    let answer = page.text_of("[data-answer=repeat]").await?;
    assert!(answer.contains("Already queried 2 times"), "{answer}");
    page.open(path_of(&code)).await?;
    let answer = page.text_of("[data-answer=repeat]").await?;
    assert!(answer.contains("Already queried 3 times"), "{answer}");
    page.screenshot("3-repeat-en").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloned_label_and_a_recalled_lot_are_flagged() -> Result<()> {
    if !enabled("clone and recall") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let cloned = fixtures::code(1003, LOT);
    world
        .scan_elsewhere(&cloned, "440300", "phone-in-shenzhen-0001")
        .await?;
    world
        .scan_elsewhere(&cloned, "110000", "phone-in-beijing-00002")
        .await?;
    let page = world.browser("clone", None, "en-US").await?;
    page.open(path_of(&cloned)).await?;
    let flag = page.text_of("[data-flag=SuspectedClone]").await?;
    assert!(flag.contains("Suspected copy"), "{flag}");
    let answer = page.text_of("[data-answer=repeat]").await?;
    assert!(
        answer.contains("Already queried 3 times") && answer.contains("Guangdong"),
        "{answer}"
    );
    page.screenshot("verdict").await?;
    page.close().await?;

    let recalled = fixtures::code(2001, RECALLED_LOT);
    let page = world.browser("recall", None, "en-US").await?;
    page.open(path_of(&recalled)).await?;
    let banner = page.text_of("[data-flag=Recalled]").await?;
    assert!(
        banner.contains("Recalled") && banner.contains(fixtures::RECALL_REASON),
        "{banner}"
    );
    let link = page.wait_for("[data-flag=Recalled] a").await?;
    assert_eq!(
        link.attr("href").await?.as_deref(),
        Some(fixtures::RECALL_NOTICE_URL)
    );
    page.screenshot("verdict").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_in_a_provenance_field_is_shown_as_text() -> Result<()> {
    if !enabled("xss") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let page = world.browser("xss", None, "en-US").await?;
    page.open(path_of(&fixtures::code(XSS_SERIAL, LOT))).await?;
    page.wait_for(".timeline li[data-step=receiving]").await?;
    // A place the brand did not describe is not shown by its identifier: that, script
    // included, is under "Details", as text.
    page.click(".timeline details.identifiers summary").await?;
    let raw = page.text_of(".timeline .raw").await?;
    assert!(raw.contains(fixtures::XSS_LOCATION), "{raw}");
    assert_eq!(page.count(".timeline img").await?, 0);
    // A javascript: certificate is text, never a link.
    assert_eq!(page.count(".timeline li[data-step=receiving] a").await?, 0);
    page.screenshot("timeline").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distributor_sees_diverted_goods_scan_after_scan() -> Result<()> {
    if !enabled("distributor") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    // Made for Shanghai, being sold in Shenzhen.
    let page = world
        .browser("distributor", Some(&fixtures::code(1004, LOT)), "en-US")
        .await?;
    page.open("/").await?;
    // The staff modes are their own page, reached from the shopper's.
    page.click("nav.modes a[data-mode=distributor]").await?;
    page.wait_for("input[name=mode][value=distributor]:checked")
        .await?;
    page.type_into("#my-region", "440300").await?;
    page.click("button.start-camera").await?;
    let mismatch = page.text_of(".verdict .region.mismatch").await?;
    assert!(
        mismatch.contains("Diverted goods") && mismatch.contains("Shanghai"),
        "{mismatch}"
    );
    page.wait_for("table.scans tr[data-region=mismatch][data-verdict=Genuine]")
        .await?;
    // The registry was told where the scan happened.
    page.wait_for("[data-answer=first]").await?;
    let history = world
        .scan_elsewhere(
            &fixtures::code(1004, LOT),
            "440300",
            "another-phone-0000001",
        )
        .await?;
    assert_eq!(history["first_region"], "440300");
    // The camera stays on for the next unit; the same label in view is not listed twice.
    page.wait_for("button.stop-camera").await?;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(page.count("table.scans tbody tr").await?, 1);
    page.screenshot("mismatch").await?;
    // The setting is kept: the shopper's page opens the staff page again, with the mode and
    // the region; a code opened from the phone's camera goes along.
    let code = fixtures::code(1010, LOT);
    page.open(path_of(&code)).await?;
    page.wait_for("input[name=mode][value=distributor]:checked")
        .await?;
    let region = page.wait_for("#my-region").await?.prop("value").await?;
    assert_eq!(region.as_deref(), Some("440300"));
    let carried = page
        .wait_for("#code-input")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert!(carried.ends_with(path_of(&code)), "{carried}");
    page.wait_for(".verdict .region.mismatch").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_network_cut_the_installed_app_still_verifies() -> Result<()> {
    if !enabled("offline") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let page = world.browser("offline", None, "en-US").await?;
    page.open("/").await?;
    page.wait_for("#code-input").await?;
    page.wait_for_offline_ready().await?;
    world.cut_network();
    // A code URL opened with no network: the page, its wasm and the trust list come from the
    // service worker's cache, and the signature is checked on the device.
    let code = fixtures::code(1005, LOT);
    page.open(path_of(&code)).await?;
    let headline = page.text_of(".verdict[data-verdict=Genuine] h2").await?;
    assert!(headline.contains("Genuine"), "{headline}");
    let status = page.text_of("[data-online=unreachable]").await?;
    assert!(status.contains("Offline"), "{status}");
    page.screenshot("1-genuine").await?;
    page.type_into("#code-input", &fixtures::tampered_code(1005))
        .await?;
    page.wait_for(".verdict[data-verdict=Tampered]").await?;
    page.screenshot("2-tampered").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_checks_offline_and_nothing_is_lost_until_it_is_reported() -> Result<()> {
    if !enabled("regulator") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let code = fixtures::code(1007, LOT);
    let page = world.browser("regulator", Some(&code), "en-US").await?;
    page.open("/").await?;
    page.click("nav.modes a[data-mode=regulator]").await?;
    page.wait_for("input[name=mode][value=regulator]:checked")
        .await?;
    page.type_into("#my-region", fixtures::SALES_REGION).await?;
    page.wait_for_offline_ready().await?;
    world.cut_network();
    page.click("button.start-camera").await?;
    page.wait_for("table.checks tr[data-sync=pending][data-verdict=Genuine]")
        .await?;
    page.wait_for(".sync-summary[data-pending='1']").await?;
    // The same label staying in view is one check, not many.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(page.count("table.checks tbody tr").await?, 1);
    page.click("button.stop-camera").await?;
    page.screenshot("1-offline-pending").await?;
    // A reload with no network: the check is still there, still waiting.
    page.open("/").await?;
    page.wait_for("table.checks tr[data-sync=pending]").await?;
    // A report attempt while offline changes nothing.
    page.click("button.sync-now").await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    page.wait_for("table.checks tr[data-sync=pending]").await?;
    // Back online: reported once, recorded by the registry.
    world.restore_network().await?;
    page.click("button.sync-now").await?;
    let row = page.text_of("table.checks tr[data-sync=sent]").await?;
    assert!(row.contains("recorded (1 scans in all)"), "{row}");
    page.wait_for(".sync-summary[data-pending='0']").await?;
    let again = world
        .scan_elsewhere(&code, fixtures::SALES_REGION, "another-phone-0000002")
        .await?;
    assert_eq!(again["count"], 2);
    page.screenshot("2-reported").await?;
    // The day's report.
    page.click("button.export-csv").await?;
    page.wait_for("a.csv-download").await?;
    // Named after the device's local day.
    let (_, csv) = page.downloaded("spot-checks-20", ".csv").await?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].starts_with("\u{feff}time,verdict,unit,lot,"),
        "{csv}"
    );
    assert!(
        lines[1].contains(",Genuine,06901234567892 · 1007,L2611A,310000,310000,no,sent,1,"),
        "{csv}"
    );
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_of_a_code_is_read_when_the_camera_is_not_used() -> Result<()> {
    if !enabled("photo") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let code = fixtures::code(1008, LOT);
    let dir = tracecode_e2e::world::artefacts();
    std::fs::create_dir_all(&dir)?;
    let photo = dir.join("photo-1008.png");
    tracecode_e2e::video::write_code_photo(&code, &photo)?;
    let not_an_image = dir.join("not-an-image.png");
    std::fs::write(&not_an_image, b"plain text, not a picture")?;
    let page = world.browser("photo", None, "en-US").await?;
    page.open("/").await?;
    page.choose_file("#photo-input", &not_an_image).await?;
    let error = page.text_of(".scanner [role=alert]").await?;
    assert!(error.contains("not a picture"), "{error}");
    page.choose_file("#photo-input", &photo).await?;
    page.wait_for(".verdict[data-verdict=Genuine]").await?;
    let field = page.wait_for("#code-input").await?.prop("value").await?;
    assert_eq!(field.as_deref(), Some(code.as_str()));
    page.wait_for("[data-answer=first]").await?;
    page.screenshot("verdict").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_with_two_cameras_can_switch_between_them() -> Result<()> {
    if !enabled("switch camera") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    // Two fake cameras showing Chromium's test pattern (a video file allows only one): no code
    // is read, so the camera stays on.
    let page = world
        .browser_with(
            "switch-camera",
            None,
            "en-US",
            &["--use-fake-device-for-media-stream=device-count=2"],
        )
        .await?;
    page.open("/").await?;
    page.click("button.start-camera").await?;
    page.wait_for("button.switch-camera").await?;
    let label =
        "return document.querySelector('.scanner video').srcObject.getVideoTracks()[0].label;";
    let before = page.client.execute(label, vec![]).await?;
    page.click("button.switch-camera").await?;
    page.wait_for("button.stop-camera").await?;
    let mut after = before.clone();
    for _ in 0..50 {
        after = page
            .client
            .execute(label, vec![])
            .await
            .unwrap_or(before.clone());
        if after != before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_ne!(after, before, "the other camera is in use");
    // Headless Chromium's fake cameras have no torch: the button is not offered.
    assert_eq!(page.count("button.torch").await?, 0);
    page.screenshot("switched").await?;
    page.assert_clean().await?;
    page.close().await
}

/// A campaign page with three frames of the app: the brand's scanner, one sending its
/// messages to another origin, one with a wrong colour. It lists every message it receives.
fn campaign_html(app: &str, origin: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let branded = format!(
        "{app}/?embed&accent=c8102e&background=fff8e7&logo=%2Ficon-192.png&origin={}",
        enc(origin)
    );
    let elsewhere = format!("{app}/?embed&origin={}", enc("http://127.0.0.1:9"));
    // A link naming a brand: refused, the frame names none but the verdict's.
    let named = format!("{app}/?embed&brand={}", enc("Bright Dairy 光明"));
    let wrong = format!("{app}/?embed&accent=red");
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Campaign</title></head>
<body><h1>Our spring campaign</h1>
<iframe id="verify" src="{branded}" allow="camera" width="420" height="640"></iframe>
<iframe id="elsewhere" src="{elsewhere}" width="420" height="300"></iframe>
<iframe id="wrong" src="{wrong}" width="420" height="300"></iframe>
<iframe id="named" src="{named}" width="420" height="300"></iframe>
<pre id="heard"></pre>
<script>
window.addEventListener("message", (e) => {{
  document.getElementById("heard").textContent += JSON.stringify({{origin: e.origin, data: e.data}}) + "\n";
}});
</script></body></html>"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_page_embeds_the_scanner_and_hears_only_the_verdict() -> Result<()> {
    if !enabled("embed") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let app = world.base.clone();
    let campaign = world
        .serve_page(|origin| campaign_html(&app, origin))
        .await?;
    let code = fixtures::code(1007, LOT);
    let page = world.browser("embed", Some(&code), "en-US").await?;
    page.client.goto(&campaign).await?;
    page.wait_for("iframe#named").await?;

    // A frame told to send elsewhere: its verdict never reaches this page.
    page.enter_frame("iframe#elsewhere").await?;
    page.type_into("#code-input", &fixtures::code(1008, LOT))
        .await?;
    page.wait_for(".verdict[data-verdict=Genuine]").await?;
    page.leave_frame().await?;

    // A frame whose link names a brand: refused and named, the brand not shown.
    page.enter_frame("iframe#named").await?;
    let refused = page.text_of("[role=alert]").await?;
    assert!(refused.contains("brand= is not read"), "{refused}");
    let shown = page.text_of("body").await?;
    assert!(!shown.contains("Bright Dairy"), "{shown}");
    page.leave_frame().await?;

    // A wrong parameter is named on the frame, which still works with the default look.
    page.enter_frame("iframe#wrong").await?;
    let refused = page.text_of("[role=alert]").await?;
    assert!(refused.contains("accent=\"red\""), "{refused}");
    page.leave_frame().await?;

    // The brand's frame: its logo, name and colours, no modes, the camera reads the code.
    page.enter_frame("iframe#verify").await?;
    assert_eq!(page.count(".modes").await?, 0);
    assert_eq!(page.count("header h1").await?, 0);
    // The logo is the site's own file, decoration; the verdict names the brand.
    let logo = page.wait_for("img.brand-logo").await?;
    assert_eq!(logo.attr("alt").await?.as_deref(), Some(""));
    assert_eq!(
        page.style_of("button.start-camera", "background-color")
            .await?,
        "rgb(200, 16, 46)"
    );
    assert_eq!(
        page.style_of("html", "background-color").await?,
        "rgb(255, 248, 231)"
    );
    page.click("button.start-camera").await?;
    let headline = page.text_of(".verdict[data-verdict=Genuine] h2").await?;
    assert!(headline.contains("Genuine"), "{headline}");
    page.wait_for("[data-answer=first]").await?;
    page.assert_clean().await?;
    page.leave_frame().await?;

    // Exactly one message, from the app's origin, with the verdict and nothing else.
    let mut heard = String::new();
    for _ in 0..50 {
        heard = page.text_of("#heard").await?;
        if !heard.trim().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let messages: Vec<serde_json::Value> = heard
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(
        messages,
        vec![serde_json::json!({
            "origin": world.base,
            "data": {"type": "tracecode-verdict", "verdict": "Genuine"},
        })],
        "{heard}"
    );
    page.screenshot("1-campaign-page").await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_works_from_the_keyboard_and_names_every_control() -> Result<()> {
    if !enabled("accessibility") {
        return Ok(());
    }
    let world = World::start(UNITS, XSS_SERIAL).await?;
    let page = world.browser("keyboard", None, "en-US").await?;
    // Every control of every mode has a name a screen reader can say: the staff page's two
    // modes, then the shopper's page, which its "a shopper" choice opens.
    page.open("/staff/?mode=distributor").await?;
    page.wait_for("#code-input").await?;
    for mode in ["distributor", "regulator", "consumer"] {
        page.click(&format!("input[name=mode][value={mode}]"))
            .await?;
        let shown = if mode == "consumer" {
            "nav.modes a[aria-current][data-mode=consumer]".to_owned()
        } else {
            format!("input[name=mode][value={mode}]:checked")
        };
        page.wait_for(&shown).await?;
        let unnamed = page.unnamed_controls().await?;
        assert!(
            unnamed.is_empty(),
            "{mode}: controls without a name: {unnamed:#?}"
        );
    }
    // From the top of the page, Tab alone reaches the controls in reading order.
    page.open("/").await?;
    page.wait_for("#code-input").await?;
    let mut reached = Vec::new();
    while reached.last().map(String::as_str) != Some("textarea#code-input") {
        assert!(
            reached.len() < 20,
            "the code field was never reached: {reached:?}"
        );
        page.press(&[Key::Tab]).await?;
        reached.push(page.focused().await?);
    }
    let order = [
        "button.language",
        "a[distributor]",
        "a[regulator]",
        "button.start-camera",
        "input#photo-input.photo-input",
        "textarea#code-input",
    ];
    let positions: Vec<Option<usize>> = order
        .iter()
        .map(|want| reached.iter().position(|got| got == want))
        .collect();
    assert!(
        positions.iter().all(Option::is_some) && positions.windows(2).all(|w| w[0] < w[1]),
        "tab order {reached:?}, wanted {order:?} in that order"
    );
    // Typed into the focused field: the verdict is announced in words, with a symbol that
    // screen readers skip, and the colour only repeats it.
    let field = page.client.active_element().await?;
    field.send_keys(&fixtures::code(1009, LOT)).await?;
    let announce = page.wait_for(".announce").await?;
    assert_eq!(page.accessibility(&announce).await?.0, "status");
    let said = announce.prop("textContent").await?.unwrap_or_default();
    page.wait_for(".verdict[data-verdict=Genuine]").await?;
    let heading = page.wait_for(".verdict h2").await?;
    let (role, genuine) = page.accessibility(&heading).await?;
    assert_eq!(role, "heading");
    assert_eq!(said, genuine);
    assert!(genuine.starts_with("Genuine"), "{genuine}");
    assert!(page.text_of(".verdict h2 .symbol").await?.contains('✔'));
    page.screenshot("genuine").await?;
    field.clear().await?;
    field.send_keys(&fixtures::tampered_code(1009)).await?;
    page.wait_for(".verdict[data-verdict=Tampered]").await?;
    let heading = page.wait_for(".verdict h2").await?;
    let (_, tampered) = page.accessibility(&heading).await?;
    assert!(!tampered.is_empty() && tampered != genuine, "{tampered}");
    assert_eq!(
        announce.prop("textContent").await?.unwrap_or_default(),
        tampered
    );
    // Back to the modes with Shift+Tab, and Enter opens the staff page in that mode, where an
    // arrow key changes the mode.
    while page.focused().await? != "a[distributor]" {
        assert!(
            reached.pop().is_some(),
            "the modes were never reached going back"
        );
        page.press(&[Key::Shift, Key::Tab]).await?;
    }
    page.press(&[Key::Enter]).await?;
    let distributor = page
        .wait_for("input[name=mode][value=distributor]:checked")
        .await?;
    page.wait_for("#my-region").await?;
    distributor.click().await?;
    page.press(&[Key::Right]).await?;
    page.wait_for("input[name=mode][value=regulator]:checked")
        .await?;
    page.screenshot("distributor-by-keyboard").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_trust_list_than_the_device_used_is_refused() -> Result<()> {
    if !enabled("rollback") {
        return Ok(());
    }
    let world = World::start(&[], XSS_SERIAL).await?;
    let page = world.browser("rollback", None, "en-US").await?;
    page.open("/").await?;
    page.wait_for("#code-input").await?;
    // The device used version 1, the registry's; a newer one was seen since.
    let stored = page
        .client
        .execute(
            "const seen = localStorage.getItem('tracecode.trust-list-version'); \
             localStorage.setItem('tracecode.trust-list-version', '7'); return seen;",
            vec![],
        )
        .await?;
    assert_eq!(stored, serde_json::json!("1"));
    // Served version 1 again (a rollback): refused, no verdict can be had from it.
    page.open("/").await?;
    let refused = page.text_of(".status.error").await?;
    assert!(refused.contains("version 1 < 7 seen before"), "{refused}");
    // No verdict can be had from it: a genuine code typed in gets none.
    page.type_into("#code-input", &fixtures::code(1001, LOT))
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(page.count(".verdict").await?, 0);
    page.screenshot("refused").await?;
    page.close().await
}
