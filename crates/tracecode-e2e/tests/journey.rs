//! The whole journey with the real pieces: `tracecode` (the issuer CLI) makes keys, a trust
//! list and batches; `tracecode-registry` (the binary, on SQLite) imports them and their EPCIS
//! events over HTTP and serves the built app; Chromium scans from its fake camera. The same
//! world as `cargo xtask demo` (`tracecode_e2e::demo`). Screenshots in target/e2e/screenshots.

use anyhow::{Context, Result};
use tracecode_e2e::demo::{self, Registry, Tools};
use tracecode_e2e::enabled;
use tracecode_e2e::fixtures::path_of;
use tracecode_e2e::world::{copy_files, copy_tree, free_port, Browsers, World};

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
    page.screenshot("1-genuine-first-query").await?;
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
    page.click("input[name=mode][value=regulator]").await?;
    page.wait_for_offline_ready().await?;
    registry.kill().await?;
    page.click("button.start-camera").await?;
    page.wait_for("table.checks tr[data-sync=pending][data-verdict=Genuine]")
        .await?;
    page.wait_for(".verdict[data-verdict=Genuine]").await?;
    page.click("button.stop-camera").await?;
    page.screenshot("5-offline-verified").await?;
    registry.restart().await?;
    page.click("button.sync-now").await?;
    let row = page.text_of("table.checks tr[data-sync=sent]").await?;
    assert!(row.contains("recorded (1 scans in all)"), "{row}");
    page.screenshot("6-synced").await?;
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
    copy_files(&World::built_app(), &site)?;
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
    // No scan counting without a registry, and no error for it either.
    assert_eq!(page.count("[data-answer]").await?, 0);
    assert_eq!(page.count(".status.error").await?, 0);
    page.screenshot("1-genuine-from-static-files").await?;
    page.assert_clean().await?;
    page.close().await
}
