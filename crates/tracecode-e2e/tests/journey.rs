//! The whole journey with the real pieces: `tracecode` (the issuer CLI) makes keys, a trust
//! list and batches; `tracecode-registry` (the binary, on SQLite) imports them and their EPCIS
//! events over HTTP and serves the built app; Chromium scans from its fake camera. The same
//! world as `cargo xtask demo` (`tracecode_demo`). Screenshots in target/e2e/screenshots.

use anyhow::{Context, Result};
use tracecode_e2e::demo::{self, Listen, Registry, Tools};
use tracecode_e2e::fixtures::path_of;
use tracecode_e2e::world::{copy_tree, free_port, Browsers, World};
use tracecode_e2e::{enabled, lan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_imported_scanned_copied_recalled_and_checked_offline() -> Result<()> {
    if !enabled("journey") {
        return Ok(());
    }
    let tools = Tools::from_env().context("the journey needs the built CLI and registry")?;
    let dir = tempfile::tempdir()?;
    let world = demo::prepare(dir.path(), &tools)?;
    let tokens = demo::tokens(&world, &tools)?;
    let mut registry = Registry::start(&world, &tools, free_port()?, &World::built_app()).await?;
    demo::load(&world, &registry.base, &tokens).await?;
    let base = registry.base.clone();
    let browsers = Browsers::start().await?;
    let code = world.case("journey").code.clone();

    // A shopper scans a genuine unit: genuine, first query, its provenance.
    let page = browsers
        .open(&base, "journey-shopper", Some(&code), "en-US", &[])
        .await?;
    page.open("/").await?;
    page.click("button.start-camera").await?;
    let headline = page.text_of(".verdict[data-verdict=Genuine] h2").await?;
    assert!(headline.contains("Genuine"), "{headline}");
    let answer = page.text_of("[data-answer=first]").await?;
    assert!(answer.contains("First query"), "{answer}");
    for step in [
        "transforming",
        "commissioning",
        "inspecting",
        "shipping",
        "receiving",
    ] {
        page.wait_for(&format!(".timeline li[data-step={step}]"))
            .await?;
    }
    let upstream = page.text_of(".timeline .upstream").await?;
    assert!(upstream.contains(demo::RAW_MILK_LOT), "{upstream}");
    let brand = page.text_of(".fields").await?;
    assert!(brand.contains("Demo Dairy Co."), "{brand}");
    // The product by name and picture, its best-before date, places by name, and no raw
    // identifier on screen (they are behind "Details").
    page.wait_for(".product[data-product] .product-image img")
        .await?;
    let name = page.text_of(".product-name").await?;
    assert_eq!(name, demo::master_data::MILK_NAME_EN);
    let best_before = page.text_of(".best-before[data-expired=false]").await?;
    assert_eq!(best_before, "Best before 2027-05-19");
    let made = page
        .text_of(".timeline li[data-step=commissioning] .place")
        .await?;
    assert_eq!(made, "Demo Dairy Hohhot plant · Hohhot");
    let sold = page.text_of(".timeline li[data-step=receiving]").await?;
    assert!(
        sold.contains("Xuhui neighbourhood market · Shanghai"),
        "{sold}"
    );
    assert!(sold.contains("On sale"), "{sold}");
    let shown = page.text_of("main").await?;
    assert!(!shown.contains("urn:"), "{shown}");
    assert!(!shown.contains("sellable_accessible"), "{shown}");
    page.screenshot("1-genuine-first-query").await?;
    page.assert_clean().await?;
    page.close().await?;

    // The same in Chinese; and a yoghurt of a lot past its best-before date, in both.
    let page = browsers
        .open(&base, "journey-zh", None, "zh-CN", &[])
        .await?;
    // Another unit of the lot: the journey's own is counted below.
    page.open(path_of(&world.case("genuine").code)).await?;
    let name = page.text_of(".product-name").await?;
    assert_eq!(name, demo::master_data::MILK_NAME_ZH);
    let best_before = page.text_of(".best-before").await?;
    assert_eq!(best_before, "保质期至 2027-05-19");
    let made = page
        .text_of(".timeline li[data-step=commissioning] .place")
        .await?;
    assert_eq!(made, "演示乳业呼和浩特工厂 · 呼和浩特");
    assert!(!page.text_of("main").await?.contains("urn:"));
    page.screenshot("1b-genuine-zh").await?;
    page.open(path_of(&world.case("expired").code)).await?;
    let warning = page.text_of("[data-warning=expired]").await?;
    assert!(warning.contains("已过期"), "{warning}");
    let best_before = page.text_of(".best-before[data-expired=true]").await?;
    assert_eq!(
        best_before,
        format!("保质期至 {}", demo::YOGHURT_BEST_BEFORE)
    );
    page.click("button.language").await?;
    let warning = page.text_of("[data-warning=expired]").await?;
    assert!(warning.starts_with("⚠ Expired"), "{warning}");
    page.screenshot("1c-expired").await?;
    page.assert_clean().await?;
    page.close().await?;

    // The same label scanned in two other provinces: a copy is suspected.
    demo::scan(&base, &code, "440300", "phone-in-shenzhen-00001").await?;
    let again = demo::scan(&base, &code, "110000", "phone-in-beijing-000002").await?;
    assert_eq!(again["count"], 3, "{again}");
    let page = browsers
        .open(&base, "journey-copy", None, "en-US", &[])
        .await?;
    page.open(path_of(&code)).await?;
    let answer = page.text_of("[data-answer=repeat]").await?;
    assert!(answer.contains("Already queried 4 times"), "{answer}");
    let flag = page.text_of("[data-flag=SuspectedClone]").await?;
    assert!(flag.contains("Suspected copy"), "{flag}");
    page.screenshot("2-already-queried-suspected-copy").await?;

    // A tampered code, and a unit of the recalled lot.
    page.open(path_of(&world.case("tampered").code)).await?;
    let invalid = page.text_of(".verdict[data-verdict=Tampered] h2").await?;
    assert!(invalid.contains("Code invalid"), "{invalid}");
    page.screenshot("3-tampered").await?;
    page.open(path_of(&world.case("recalled").code)).await?;
    let banner = page.text_of("[data-flag=Recalled]").await?;
    assert!(banner.contains(demo::RECALL_REASON), "{banner}");
    page.screenshot("4-recalled").await?;
    page.assert_clean().await?;
    page.close().await?;

    // An inspector with the network cut: verified on the device, reported once it is back.
    let inspected = world.case("inspector").code.clone();
    let page = browsers
        .open(&base, "journey-inspector", Some(&inspected), "en-US", &[])
        .await?;
    page.open("/").await?;
    page.click("nav.modes a[data-mode=regulator]").await?;
    page.wait_for("input[name=mode][value=regulator]:checked")
        .await?;
    page.wait_for_offline_ready().await?;
    // A unit of the same product looked at while online: the device keeps the product.
    page.type_into("#code-input", &world.case("genuine").code)
        .await?;
    page.wait_for(".product[data-product]").await?;
    registry.kill().await?;
    page.click("button.start-camera").await?;
    page.wait_for("table.checks tr[data-sync=pending][data-verdict=Genuine]")
        .await?;
    page.wait_for(".verdict[data-verdict=Genuine]").await?;
    // Offline, the product's name and best-before date as kept, said to be so.
    page.wait_for("[data-facts=kept]").await?;
    let name = page.text_of(".product-name").await?;
    assert_eq!(name, demo::master_data::MILK_NAME_EN);
    let best_before = page.text_of(".best-before").await?;
    assert_eq!(best_before, "Best before 2027-05-19");
    page.click("button.stop-camera").await?;
    page.screenshot("5-offline-verified").await?;
    registry.restart().await?;
    page.click("button.sync-now").await?;
    let row = page.text_of("table.checks tr[data-sync=sent]").await?;
    assert!(row.contains("recorded (1 scans in all)"), "{row}");
    page.screenshot("6-synced").await?;
    // The day's report names the unit's best-before date (from the product kept on the
    // device) and whether it was past.
    page.click("button.export-csv").await?;
    page.wait_for("a.csv-download").await?;
    let (_, csv) = page.downloaded("spot-checks-20", ".csv").await?;
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",best_before,expired"), "{csv}");
    assert!(lines[1].ends_with(",2027-05-19,no"), "{csv}");
    let recorded = demo::scan(&base, &inspected, "310000", "phone-of-a-shopper-0001").await?;
    assert_eq!(recorded["count"], 2, "{recorded}");
    page.assert_clean().await?;
    page.close().await?;
    registry.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_site_shows_the_issuers_provenance_without_a_registry() -> Result<()> {
    if !enabled("static site") {
        return Ok(());
    }
    let tools = Tools::from_env().context("the static site needs the built CLI")?;
    let dir = tempfile::tempdir()?;
    let world = demo::prepare(dir.path(), &tools)?;
    // What a brand uploads to a static host: the app, its trust list, and the CLI's
    // `--provenance` output (`static/v1/units/{gtin}/{serial}/timeline`).
    let site = dir.path().join("site");
    copy_tree(&World::built_app(), &site)?;
    std::fs::copy(world.trust_list(), site.join("trust-list.json"))?;
    copy_tree(&world.dir.join("batch-dairy/static"), &site)?;
    let base = tracecode_e2e::world::serve_static(&site).await?;

    let browsers = Browsers::start().await?;
    let page = browsers
        .open(&base, "static-site", None, "en-US", &[])
        .await?;
    page.open(path_of(&world.case("genuine").code)).await?;
    let headline = page.text_of(".verdict[data-verdict=Genuine] h2").await?;
    assert!(headline.contains("Genuine"), "{headline}");
    let step = page
        .text_of(".timeline li[data-step=commissioning]")
        .await?;
    assert!(step.contains("Produced and labelled"), "{step}");
    // The product, from the CLI's `--products` files, and its best-before date.
    let name = page.text_of(".product-name").await?;
    assert_eq!(name, demo::master_data::MILK_NAME_EN);
    let best_before = page.text_of(".best-before").await?;
    assert_eq!(best_before, "Best before 2027-05-19");
    // No scan counting without a registry, and no error for it either.
    assert_eq!(page.count("[data-answer]").await?, 0);
    assert_eq!(page.count(".status.error").await?, 0);
    page.screenshot("1-genuine-from-static-files").await?;
    page.assert_clean().await?;
    page.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lan_demo_serves_https_and_prints_codes_for_its_own_address() -> Result<()> {
    if !enabled("LAN demo") {
        return Ok(());
    }
    let tools = Tools::from_env().context("the LAN demo needs the built CLI and registry")?;
    let dir = tempfile::tempdir()?;
    // Loopback stands in for the LAN address: the same code path, reachable here.
    let ip: std::net::IpAddr = "127.0.0.1".parse()?;
    let port = free_port()?;
    let tls = lan::certificate(&dir.path().join("tls"), ip)?;
    let listen = Listen {
        ip,
        port,
        tls: Some(tls.clone()),
    };
    let base = listen.base();
    assert_eq!(base, format!("https://127.0.0.1:{port}"));
    let host = format!("127.0.0.1:{port}");
    // A world first made for the loopback demo's host is issued again for the LAN host.
    let first = demo::prepare(dir.path(), &tools)?;
    assert!(first.units[0]
        .url
        .starts_with("https://demo.tracecode.test/01/"));
    let world = demo::prepare_for_host(dir.path(), &tools, &host)?;
    assert_eq!(world.units.len(), first.units.len());
    for unit in &world.units {
        assert!(unit.url.starts_with(&format!("{base}/01/")), "{}", unit.url);
    }
    for case in &world.cases {
        assert!(case.code.starts_with(&format!("{base}/")), "{}", case.code);
    }
    let tokens = demo::tokens(&world, &tools)?;
    let registry = Registry::start_on(&world, &tools, &listen, &World::built_app()).await?;
    // The loader speaks HTTPS, trusting the demo authority and nothing else.
    demo::load(&world, &registry.base, &tokens).await?;

    // Plain HTTP on the same port gets no page.
    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer).await;
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");

    // A phone's camera opens a printed code: Chromium accepting exactly this certificate.
    let browsers = Browsers::start().await?;
    let accept = format!("--ignore-certificate-errors-spki-list={}", tls.spki_sha256);
    let page = browsers
        .open(&base, "lan-demo", None, "en-US", &[&accept])
        .await?;
    page.open(path_of(&world.case("genuine").code)).await?;
    let headline = page.text_of(".verdict[data-verdict=Genuine] h2").await?;
    assert!(headline.contains("Genuine"), "{headline}");
    page.wait_for("[data-answer=first]").await?;
    let secure: bool = page
        .client
        .execute(
            "return window.isSecureContext && location.protocol === 'https:'",
            vec![],
        )
        .await?
        .as_bool()
        .unwrap_or(false);
    assert!(secure, "the page is not a secure context over HTTPS");
    page.screenshot("lan-genuine-over-https").await?;
    page.assert_clean().await?;
    page.close().await?;
    registry.stop().await
}
