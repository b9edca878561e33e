//! Every command-line type, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::artwork::SheetFormat;

/// tracecode issuer tool: keys, trust lists, batches of signed codes, QR artwork.
#[derive(Debug, Parser)]
#[command(name = "tracecode", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a root or issuer key pair (private key owner-only, never printed).
    Keygen(KeygenArgs),
    /// Build, edit, sign, inspect and verify trust lists.
    #[command(subcommand)]
    TrustList(TrustListCommand),
    /// Issue a batch of signed codes with artwork and registry files.
    Issue(IssueArgs),
    /// Parse and verify codes (URLs, text files of URLs, or PNG images) against a trust list.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Writes NAME.key (private) and NAME.pub (public) here.
    #[arg(long, default_value = ".")]
    pub(crate) dir: PathBuf,
    /// The key's file name stem, e.g. `root` or `issuer-1`.
    #[arg(long)]
    pub(crate) name: String,
    /// Overwrite existing key files (the old private key is lost).
    #[arg(long)]
    pub(crate) force: bool,
}

/// The trust-list working document (unsigned JSON) that the editing commands change.
#[derive(Debug, Args)]
pub(crate) struct DocumentArg {
    /// The unsigned trust-list document to edit.
    #[arg(long, env = "TRACECODE_TRUST_DOC")]
    pub(crate) doc: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TrustListCommand {
    /// Start a new, empty trust-list document.
    New {
        #[command(flatten)]
        doc: DocumentArg,
        /// Days until the first publication expires.
        #[arg(long, default_value_t = 30)]
        expires_in_days: u32,
        /// Overwrite an existing document.
        #[arg(long)]
        force: bool,
    },
    /// Add an issuer key.
    AddKey {
        #[command(flatten)]
        doc: DocumentArg,
        /// The id codes will carry (1–65535).
        #[arg(long)]
        key_id: u16,
        /// The issuer's public key: a .pub file or base64url text.
        #[arg(long)]
        public_key: String,
        /// The brand shown to people.
        #[arg(long)]
        brand: String,
        /// GS1 company prefixes the key may sign (repeat for several).
        #[arg(long = "gtin-prefix", required = true)]
        gtin_prefixes: Vec<String>,
        /// First production day the key may sign (YYYY-MM-DD).
        #[arg(long)]
        valid_from: String,
        /// Last production day it may sign; open if absent.
        #[arg(long)]
        valid_until: Option<String>,
    },
    /// Retire a key: it signs nothing after `--valid-until`; earlier codes stay genuine.
    RetireKey {
        #[command(flatten)]
        doc: DocumentArg,
        #[arg(long)]
        key_id: u16,
        /// Last production day the key signed.
        #[arg(long)]
        valid_until: String,
    },
    /// Revoke a key for codes made on or after `--cutoff`.
    RevokeKey {
        #[command(flatten)]
        doc: DocumentArg,
        #[arg(long)]
        key_id: u16,
        /// First production day no longer trusted.
        #[arg(long)]
        cutoff: String,
        /// Why, as shown to people.
        #[arg(long)]
        reason: String,
    },
    /// Revoke one unit (a stolen label roll, say).
    RevokeSerial {
        #[command(flatten)]
        doc: DocumentArg,
        #[arg(long)]
        gtin: String,
        #[arg(long)]
        serial: String,
        #[arg(long)]
        reason: String,
    },
    /// Revoke a whole lot.
    RevokeLot {
        #[command(flatten)]
        doc: DocumentArg,
        #[arg(long)]
        gtin: String,
        #[arg(long)]
        lot: String,
        #[arg(long)]
        reason: String,
    },
    /// Raise the version by one and restart the validity period from now.
    Bump {
        #[command(flatten)]
        doc: DocumentArg,
        /// Days until this publication expires.
        #[arg(long, default_value_t = 30)]
        expires_in_days: u32,
    },
    /// Sign the document with the root key, for publication.
    Sign {
        #[command(flatten)]
        doc: DocumentArg,
        /// The root's private key file.
        #[arg(long, env = "TRACECODE_ROOT_KEY")]
        root_key: PathBuf,
        /// Where to write the signed trust list.
        #[arg(long)]
        out: PathBuf,
    },
    /// Show a signed trust list (checking its signature when `--root` is given).
    Inspect {
        /// The signed trust list.
        file: PathBuf,
        #[command(flatten)]
        roots: RootsArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a signed trust list's signature and consistency; exit 1 if it fails.
    Verify {
        /// The signed trust list.
        file: PathBuf,
        #[command(flatten)]
        roots: RootsArg,
    },
}

#[derive(Debug, Args)]
pub(crate) struct RootsArg {
    /// Pinned root public keys: .pub files or base64url text (repeat for several).
    #[arg(long = "root", env = "TRACECODE_ROOT_PUB", value_delimiter = ',')]
    pub(crate) roots: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// The signed trust list to check codes against.
    #[arg(long, env = "TRACECODE_TRUST_LIST")]
    pub(crate) trust_list: PathBuf,
    #[command(flatten)]
    pub(crate) roots: RootsArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Ecc {
    L,
    M,
    Q,
    H,
}

impl Ecc {
    /// The level's stable name in a batch's resume fingerprint (as fingerprints have always
    /// spelled it).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::L => "L",
            Self::M => "M",
            Self::Q => "Q",
            Self::H => "H",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// The batch file: CSV (gtin,lot,production_day,region,count,serials) or TOML ([[batch]] tables).
    pub(crate) batch: PathBuf,
    /// The issuer's private key file.
    #[arg(long, env = "TRACECODE_ISSUER_KEY")]
    pub(crate) key: PathBuf,
    /// The key id the trust list gives this key.
    #[arg(long)]
    pub(crate) key_id: u16,
    /// The verification host printed in every code, e.g. `t.brand.cn`.
    #[arg(long)]
    pub(crate) host: String,
    /// Output directory (created; an interrupted batch there is resumed).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Check every code against this signed trust list before writing anything.
    #[arg(long, requires = "roots")]
    pub(crate) trust_list: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) roots: RootsArg,
    /// The serial ledger shared by every batch that must not repeat a serial (default: beside
    /// the key, `issuer.key` → `issuer.serials.json`). Owner-only: it holds the serial key.
    #[arg(long, conflicts_with = "seed")]
    pub(crate) ledger: Option<PathBuf>,
    /// Deterministic serials from this seed (tests and demos only: serials become guessable).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Write one SVG per code.
    #[arg(long)]
    pub(crate) svg: bool,
    /// Write one PNG per code.
    #[arg(long)]
    pub(crate) png: bool,
    /// Write print sheets: A4 pages, a grid of 40 codes with position and serial under each;
    /// `svg` (one file per page, the default) or `pdf` (one file per 100 pages).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "svg", value_name = "FORMAT")]
    pub(crate) sheets: Option<SheetFormat>,
    /// Write static provenance files (`units/{gtin}/{serial}/timeline`).
    #[arg(long)]
    pub(crate) provenance: bool,
    /// With --provenance: the products' master data, a CSV file as the registry's
    /// `POST /v1/master-data/products` reads it (docs/API.md), checked row by row and written
    /// as `static/v1/products/{gtin}` for the batch's GTINs, which the page reads when
    /// there is no registry.
    #[arg(long, requires = "provenance", value_name = "CSV")]
    pub(crate) products: Option<PathBuf>,
    /// Write the registry import file (`registry-import.jsonl`).
    #[arg(long)]
    pub(crate) registry: bool,
    /// QR error-correction level.
    #[arg(long, value_enum, default_value = "m")]
    pub(crate) ecc: Ecc,
    /// Quiet zone around each code, in modules.
    #[arg(long, default_value_t = 4)]
    pub(crate) quiet_zone: u32,
    /// PNG size: pixels per module.
    #[arg(long, default_value_t = 4)]
    pub(crate) png_scale: u32,
    /// Print peak memory and timing when done.
    #[arg(long)]
    pub(crate) stats: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// A code URL, a text file with one code per line, or a PNG image of a QR code.
    pub(crate) input: String,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Verify as of this RFC 3339 time instead of now.
    #[arg(long)]
    pub(crate) now: Option<String>,
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}
