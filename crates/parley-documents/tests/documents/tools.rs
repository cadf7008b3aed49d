//! Reading PDFs with Debian's poppler-utils (installed by `scripts/pdf-tools`, which
//! `scripts/test` runs first): the text with pdftotext, the document's properties with
//! pdfinfo, and a page as an image with pdftoppm. Without the tools a test fails under
//! `CI=true` and is skipped, loudly, elsewhere.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

/// The three tools, found on the PATH.
#[derive(Debug)]
pub(crate) struct Poppler {
    dir: TempDir,
}

/// The tools, or `None` (having said so) when they are missing outside CI.
pub(crate) fn poppler() -> Option<Poppler> {
    let missing: Vec<&str> = ["pdftotext", "pdftoppm", "pdfinfo"]
        .into_iter()
        .filter(|t| Command::new(t).arg("-v").output().is_err())
        .collect();
    if missing.is_empty() {
        return Some(Poppler {
            dir: tempfile::tempdir().unwrap(),
        });
    }
    let message = format!(
        "{} not found: run scripts/pdf-tools (Debian's poppler-utils)",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
        panic!("{message}; CI needs them");
    }
    eprintln!("!!!! SKIPPED: {message} !!!!");
    None
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl Poppler {
    fn write(&self, name: &str, pdf: &[u8]) -> std::path::PathBuf {
        let path = self.dir.path().join(format!("{name}.pdf"));
        std::fs::write(&path, pdf).unwrap();
        path
    }

    /// The text of every page, in reading order.
    pub(crate) fn text(&self, name: &str, pdf: &[u8]) -> String {
        let path = self.write(name, pdf);
        String::from_utf8(run(Command::new("pdftotext").arg(&path).arg("-"))).unwrap()
    }

    /// The text with every run of white space made one space, for looking for phrases that
    /// a line may have broken.
    pub(crate) fn flat_text(&self, name: &str, pdf: &[u8]) -> String {
        self.text(name, pdf)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// pdfinfo's report: `Title:`, `Tagged:`, `Pages:` ...
    pub(crate) fn info(&self, name: &str, pdf: &[u8]) -> String {
        let path = self.write(name, pdf);
        String::from_utf8(run(Command::new("pdfinfo").arg(&path))).unwrap()
    }

    /// The document's XMP metadata (pdfinfo -meta).
    pub(crate) fn meta(&self, name: &str, pdf: &[u8]) -> String {
        let path = self.write(name, pdf);
        String::from_utf8(run(Command::new("pdfinfo").arg("-meta").arg(&path))).unwrap()
    }

    /// A page as PNG at 50 dpi, and the share of its pixels that are not white (from the same
    /// page as greyscale).
    pub(crate) fn page(&self, name: &str, pdf: &[u8], page: u32) -> Page {
        let path = self.write(name, pdf);
        let root = self.dir.path().join(format!("{name}-{page}"));
        let n = page.to_string();
        let render = |extra: &[&str], out: &Path| {
            run(Command::new("pdftoppm")
                .args(["-r", "50", "-f", &n, "-l", &n, "-singlefile"])
                .args(extra)
                .arg(&path)
                .arg(out));
        };
        // With -singlefile, pdftoppm writes ROOT.png (or ROOT.pgm).
        let out = |ext: &str| std::path::PathBuf::from(format!("{}.{ext}", root.display()));
        render(&["-png"], &root);
        let png = std::fs::read(out("png")).unwrap();
        render(&["-gray"], &root);
        let pgm = std::fs::read(out("pgm")).unwrap();
        Page {
            png,
            ink: ink(&pgm),
        }
    }
}

/// A rendered page.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) png: Vec<u8>,
    /// The share of pixels darker than light grey.
    pub(crate) ink: f64,
}

impl Page {
    /// Width and height from the PNG's header.
    pub(crate) fn size(&self) -> (u32, u32) {
        assert_eq!(&self.png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        let be = |at: usize| u32::from_be_bytes(self.png[at..at + 4].try_into().unwrap());
        (be(16), be(20))
    }
}

/// The share of dark pixels of a binary PGM (P5, 8 bits).
fn ink(pgm: &[u8]) -> f64 {
    // Header: "P5", width, height, maxval, each followed by white space.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&pgm[start..at]).unwrap().to_owned());
    }
    assert_eq!(fields[0], "P5");
    let pixels = &pgm[at + 1..];
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    assert_eq!(pixels.len(), w * h);
    pixels.iter().filter(|&&p| p < 200).count() as f64 / pixels.len() as f64
}
