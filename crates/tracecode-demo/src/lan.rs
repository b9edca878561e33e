//! `cargo xtask demo --lan`: the demo on this machine's LAN address over HTTPS, so that a real
//! phone can open it. A phone's browser gives the camera only to a secure page, and its camera
//! app opens a printed code's `https://` URL: both need a certificate the phone accepts.
//!
//! The certificate comes from a certificate authority made on this machine for the demo alone.
//! Its key stays in the demo's folder, and the authority is restricted (X.509 name
//! constraints) to private and loopback addresses: a phone that trusts it to skip the warning
//! trusts it for nothing on the internet.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, PublicKeyData as _, SanType,
};
use sha2::{Digest as _, Sha256};

/// The files of a LAN demo's TLS set-up.
#[derive(Debug, Clone)]
pub struct LanCertificate {
    /// The demo authority's certificate: what a phone may install to trust the demo.
    pub authority: PathBuf,
    /// The server's certificate, for `tracecode-registry serve --tls-cert`.
    pub chain: PathBuf,
    /// Its private key, for `--tls-key`.
    pub key: PathBuf,
    /// SHA-256 of the server key's SubjectPublicKeyInfo, base64: what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes (the tests' way to accept exactly it).
    pub spki_sha256: String,
}

/// The networks the demo authority may vouch for: RFC 1918, loopback, link-local, and IPv6
/// unique-local and loopback.
fn private_networks() -> Vec<GeneralSubtree> {
    [
        CidrSubnet::from_v4_prefix([10, 0, 0, 0], 8),
        CidrSubnet::from_v4_prefix([172, 16, 0, 0], 12),
        CidrSubnet::from_v4_prefix([192, 168, 0, 0], 16),
        CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8),
        CidrSubnet::from_v4_prefix([169, 254, 0, 0], 16),
        CidrSubnet::from_v6_prefix([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8),
        CidrSubnet::from_v6_prefix([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128),
    ]
    .into_iter()
    .map(GeneralSubtree::IpAddress)
    .collect()
}

/// Whether a phone on the LAN could reach `ip` under the authority's constraints.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xff00) == 0xfd00,
    }
}

/// The authority's parameters. Always the same, so that the authority made on the first run
/// (and perhaps installed on a phone) still signs what later runs make.
fn authority_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        "tracecode demo authority (one machine, private addresses only)",
    );
    name.push(DnType::OrganizationName, "tracecode demo");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: private_networks(),
        excluded_subtrees: Vec::new(),
    });
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650);
    params
}

/// The demo authority in `dir` (made on first use), and a fresh server certificate for `ip`
/// (and loopback) signed by it.
pub fn certificate(dir: &Path, ip: IpAddr) -> Result<LanCertificate> {
    if !is_private(ip) {
        bail!(
            "{ip} is not a private or loopback address: the demo authority may vouch only \
             for those (a phone on the same Wi-Fi reaches the machine by such an address)"
        );
    }
    std::fs::create_dir_all(dir)?;
    let authority_key_file = dir.join("demo-authority.key");
    let authority = dir.join("demo-authority.crt");
    let authority_key = match std::fs::read_to_string(&authority_key_file) {
        Ok(pem) => KeyPair::from_pem(&pem)
            .with_context(|| format!("{} is not a key", authority_key_file.display()))?,
        Err(_) => {
            let key = KeyPair::generate()?;
            write_private(&authority_key_file, &key.serialize_pem())?;
            let _ = std::fs::remove_file(&authority);
            key
        }
    };
    if !authority.exists() {
        let certificate = authority_params().self_signed(&authority_key)?;
        std::fs::write(&authority, certificate.pem())?;
    }
    let issuer = Issuer::new(authority_params(), &authority_key);

    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, format!("tracecode demo on {ip}"));
    params.distinguished_name = name;
    params.subject_alt_names = vec![SanType::IpAddress(ip)];
    if ip != IpAddr::V4(Ipv4Addr::LOCALHOST) {
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Within the 398 days browsers accept for a server certificate.
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(365);
    let key = KeyPair::generate()?;
    let server = params.signed_by(&key, &issuer)?;
    let chain = dir.join("server.crt");
    let key_file = dir.join("server.key");
    std::fs::write(&chain, server.pem())?;
    write_private(&key_file, &key.serialize_pem())?;
    let spki_sha256 = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(key.subject_public_key_info()));
    Ok(LanCertificate {
        authority,
        chain,
        key: key_file,
        spki_sha256,
    })
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// This machine's address on its LAN: the source address of its route to the internet (a
/// UDP socket is connected, nothing is sent). Fails on a machine with no such route; then
/// the address is given by hand (`--lan 192.168.1.23`).
pub fn lan_address() -> Result<IpAddr> {
    let socket = UdpSocket::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))?;
    socket
        .connect(SocketAddr::from(([192, 0, 2, 1], 9)))
        .context("no route out of this machine to find its LAN address from: give it, as in `cargo xtask demo --lan 192.168.1.23`")?;
    let ip = socket.local_addr()?.ip();
    if ip.is_unspecified() || ip.is_loopback() {
        bail!("this machine has no LAN address ({ip}): give it, as in `cargo xtask demo --lan 192.168.1.23`");
    }
    Ok(ip)
}

/// `text` as a QR code in a terminal: two rows of modules per line of half blocks, with the
/// quiet zone a phone's camera needs.
pub fn terminal_qr(text: &str) -> Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).context("the URL does not fit a QR code")?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rustls::client::danger::ServerCertVerifier as _;
    use rustls::client::WebPkiServerVerifier;
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::RootCertStore;

    use super::*;

    fn verifier(authority: &Path) -> Arc<WebPkiServerVerifier> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(authority).expect("authority"))
            .expect("root");
        WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .expect("verifier")
    }

    fn verify(authority: &Path, chain: &Path, ip: &str) -> Result<(), rustls::Error> {
        let leaf = CertificateDer::from_pem_file(chain).expect("chain");
        verifier(authority)
            .verify_server_cert(
                &leaf,
                &[],
                &ServerName::try_from(ip.to_owned()).expect("name"),
                &[],
                UnixTime::now(),
            )
            .map(|_| ())
    }

    #[test]
    fn the_server_certificate_verifies_for_its_lan_address_and_loopback_only() {
        let dir = tempfile::tempdir().expect("dir");
        let made = certificate(dir.path(), "192.168.1.23".parse().expect("ip")).expect("made");
        verify(&made.authority, &made.chain, "192.168.1.23").expect("LAN address");
        verify(&made.authority, &made.chain, "127.0.0.1").expect("loopback");
        assert!(verify(&made.authority, &made.chain, "192.168.1.24").is_err());
        assert_eq!(made.spki_sha256.len(), 44, "{}", made.spki_sha256);
    }

    #[test]
    fn a_second_run_keeps_the_authority_a_phone_may_have_installed() {
        let dir = tempfile::tempdir().expect("dir");
        let first = certificate(dir.path(), "10.0.0.5".parse().expect("ip")).expect("first");
        let installed = std::fs::read(&first.authority).expect("authority");
        // The machine moved to another network: a new server certificate, the same authority.
        let second = certificate(dir.path(), "172.20.1.9".parse().expect("ip")).expect("second");
        assert_eq!(std::fs::read(&second.authority).expect("again"), installed);
        assert_ne!(first.spki_sha256, second.spki_sha256);
        verify(&first.authority, &second.chain, "172.20.1.9").expect("old authority signs");
    }

    #[test]
    fn the_authority_cannot_vouch_for_a_public_address() {
        let dir = tempfile::tempdir().expect("dir");
        let made = certificate(dir.path(), "192.168.7.7".parse().expect("ip")).expect("made");
        // Forge what a stolen authority key could sign: a certificate for a public address.
        let key = KeyPair::from_pem(
            &std::fs::read_to_string(dir.path().join("demo-authority.key")).expect("key"),
        )
        .expect("key pair");
        let issuer = Issuer::new(authority_params(), &key);
        let mut params = CertificateParams::default();
        params.subject_alt_names = vec![SanType::IpAddress("203.0.113.9".parse().expect("ip"))];
        let leaf_key = KeyPair::generate().expect("leaf key");
        let forged = params.signed_by(&leaf_key, &issuer).expect("signed");
        let forged_file = dir.path().join("forged.crt");
        std::fs::write(&forged_file, forged.pem()).expect("write");
        let refused = verify(&made.authority, &forged_file, "203.0.113.9");
        assert!(refused.is_err(), "{refused:?}");
        // And the demo will not make one.
        let error = certificate(dir.path(), "203.0.113.9".parse().expect("ip"))
            .expect_err("public address");
        assert!(error.to_string().contains("not a private"), "{error}");
    }

    #[test]
    fn the_terminal_code_reads_back_as_the_url() {
        let url = "https://192.168.1.23:8443/";
        let art = terminal_qr(url).expect("art");
        // Back to modules: each character holds an upper and a lower module; the quiet zone
        // is light, printed as a full block.
        let rows: Vec<Vec<bool>> = art
            .lines()
            .flat_map(|line| {
                let (upper, lower): (Vec<bool>, Vec<bool>) = line
                    .chars()
                    .map(|c| match c {
                        '█' => (false, false),
                        '▀' => (false, true),
                        '▄' => (true, false),
                        _ => (true, true),
                    })
                    .unzip();
                [upper, lower]
            })
            .collect();
        let size = rows[0].len();
        let scale = 6;
        let (width, height) = (size * scale, rows.len() * scale);
        let mut pixels = vec![255u8; width * height];
        for (y, row) in rows.iter().enumerate() {
            for (x, _) in row.iter().enumerate().filter(|(_, dark)| **dark) {
                for dy in 0..scale {
                    let at = (y * scale + dy) * width + x * scale;
                    pixels[at..at + scale].fill(0);
                }
            }
        }
        let frame = tracecode_scan::Frame::luma(&pixels, width, height, width).expect("frame");
        let decoded = tracecode_scan::scan(&frame);
        assert_eq!(decoded.len(), 1, "{decoded:?}");
        let content = &decoded[0].text;
        assert_eq!(content.as_deref(), Some(url));
    }
}
