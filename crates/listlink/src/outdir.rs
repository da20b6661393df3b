//! An output folder written whole: a run writes into a fresh folder beside `--out` and swaps it
//! in at the end, so `--out` always holds one run's complete outputs — the last run's, or the
//! one before when this one failed or was killed. Leftovers of killed runs are removed by the
//! next run.

use anyhow::{Context, anyhow};
use std::path::{Path, PathBuf};

/// The files a listlink run writes into its output folder: a folder holding anything else is
/// not replaced (it is not ours to delete).
pub const OWNED: &[&str] = &[
    "pairs.csv",
    "clusters.csv",
    "found.csv",
    "rejects.csv",
    "report.json",
    "model.json",
    "settings.toml",
    "evaluation.json",
    "estimate.json",
    "estimate.svg",
    "roster.csv",
    "history.csv",
    "changes.csv",
];

/// A run's outputs being written, swapped in by [`Staging::commit`]; dropped uncommitted, they
/// are removed and `--out` is left as it was.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

/// `.NAME.listlink-PID`: the staging folder of `--out NAME` by process PID.
fn staging_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    format!(".{name}.listlink-")
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether a process of this id is running (a staging folder of a live run is not stale).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: signal 0 checks that the process exists and sends nothing.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

impl Staging {
    /// Checks `target` (a folder of listlink outputs, empty, or absent), removes what killed
    /// runs left beside and inside it, and makes the fresh folder.
    pub fn begin(target: &Path) -> anyhow::Result<Staging> {
        if target.exists() {
            if !target.is_dir() {
                return Err(anyhow!(
                    "--out {} is a file, not a folder",
                    target.display()
                ));
            }
            let mut foreign = Vec::new();
            for entry in std::fs::read_dir(target)
                .with_context(|| format!("reading {}", target.display()))?
            {
                let entry = entry.with_context(|| format!("reading {}", target.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                // Temporary files of interrupted writes (this version's and older ones') are
                // ours too.
                let stale_temporary = name.starts_with(".listlink-")
                    || (name.starts_with('.') && name.contains(".tmp-"));
                if !OWNED.contains(&name.as_str()) && !stale_temporary {
                    foreign.push(name);
                }
            }
            if !foreign.is_empty() {
                foreign.sort();
                return Err(anyhow!(
                    "--out {} holds files listlink did not write ({}): name a new or empty folder, or one an earlier run wrote",
                    target.display(),
                    foreign.join(", ")
                ));
            }
        }
        let parent = parent_of(target);
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        let prefix = staging_prefix(target);
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(pid) = name
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.split('-').next())
                    .and_then(|pid| pid.parse::<u32>().ok())
                else {
                    continue;
                };
                if !alive(pid) {
                    tracing::warn!(folder = %entry.path().display(), "removing what an interrupted run left");
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir = parent.join(format!("{prefix}{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            committed: false,
        })
    }

    /// Where to write the output file `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Puts the written folder in the place of `--out` in one step (an exchange of the two
    /// folders where the system has one), then removes the old outputs.
    pub fn commit(mut self) -> anyhow::Result<()> {
        self.committed = true;
        let fail = |e: std::io::Error| {
            anyhow!(
                "{}: could not put the outputs in place: {e}",
                self.target.display()
            )
        };
        if !self.target.exists() {
            std::fs::rename(&self.dir, &self.target).map_err(fail)?;
            return Ok(());
        }
        if exchange(&self.dir, &self.target).is_err() {
            // No atomic exchange here: move the old folder aside first.
            let old = parent_of(&self.target).join(format!(
                "{}{}-old",
                staging_prefix(&self.target),
                std::process::id()
            ));
            std::fs::rename(&self.target, &old).map_err(fail)?;
            std::fs::rename(&self.dir, &self.target).map_err(fail)?;
            let _ = std::fs::remove_dir_all(&old);
            return Ok(());
        }
        // After the exchange the staging path holds the old outputs.
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Swaps two paths atomically (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated C strings that live across the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no atomic exchange"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_run_replaces_the_folder_whole_and_a_dropped_one_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let s = Staging::begin(&out).unwrap();
        std::fs::write(s.path("found.csv"), "first").unwrap();
        s.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("found.csv")).unwrap(),
            "first"
        );

        let s = Staging::begin(&out).unwrap();
        std::fs::write(s.path("pairs.csv"), "second").unwrap();
        s.commit().unwrap();
        // The old run's found.csv is gone with it.
        assert!(!out.join("found.csv").exists());
        assert_eq!(
            std::fs::read_to_string(out.join("pairs.csv")).unwrap(),
            "second"
        );

        let s = Staging::begin(&out).unwrap();
        std::fs::write(s.path("pairs.csv"), "third, failed").unwrap();
        drop(s);
        assert_eq!(
            std::fs::read_to_string(out.join("pairs.csv")).unwrap(),
            "second"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no staging folder left");
    }

    #[test]
    fn a_folder_with_other_files_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let err = Staging::begin(dir.path()).err().unwrap().to_string();
        assert!(err.contains("notes.txt"), "{err}");
    }

    #[test]
    fn what_a_killed_run_left_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        // No process has this id (above the kernel's pid limit).
        let stale = dir.path().join(".out.listlink-4999999");
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("pairs.csv"), "half").unwrap();
        let s = Staging::begin(&out).unwrap();
        assert!(!stale.exists());
        drop(s);
    }
}
