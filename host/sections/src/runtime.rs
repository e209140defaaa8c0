//! The WebAssembly runtime: one engine for the process, one pre-linked
//! `InstancePre` per plugin package, and a fresh `Store` and instance for every
//! call, with a deadline, a memory cap and an empty WASI.

use super::bindings::{self, section, SectionPlugin, SectionPluginPre};
use super::call::{CallKind, CallScope, CallState, HostServices};
use super::permissions::{classify_imports, contract_of, ContractVersion, ImportError, ImportedCapabilities, Permission};
use super::since_v0_3;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, Trap, UpdateDeadline};

/// How much a single call may use.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time for one call, host calls included.
    pub call_timeout: Duration,
    /// Linear memory of one instance.
    pub memory_bytes: usize,
    /// Largest component accepted.
    pub max_component_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { call_timeout: Duration::from_millis(1500), memory_bytes: 64 << 20, max_component_bytes: 16 << 20 }
    }
}

/// How often the epoch advances; deadlines are checked at this granularity, and
/// a running plugin yields to other tasks this often.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Why a call produced nothing usable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallFailure {
    #[error("did not finish within {0:?}")]
    Timeout(Duration),
    #[error("exceeded its memory limit of {} MiB", .0 >> 20)]
    OutOfMemory(usize),
    #[error("trapped: {0}")]
    Trap(String),
    #[error("returned an error: {0}")]
    Plugin(String),
}

/// Why a component cannot be installed. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("the file is {size} bytes; plugins may be at most {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("the file is not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error("the plugin cannot be installed: {0}")]
    Imports(#[from] ImportError),
    #[error("the plugin imports interfaces for permissions it does not declare in `describe`: {}", list(.0))]
    UndeclaredImports(Vec<Permission>),
    #[error("the plugin does not fit this host's contract: {0}")]
    Link(String),
    #[error("`describe` did not answer within {0:?}: it must return its descriptor at once, without doing work")]
    DescribeTooSlow(Duration),
    #[error("`describe` failed: {0}")]
    Describe(CallFailure),
    #[error("`describe` returned an invalid descriptor: {0}")]
    InvalidDescriptor(String),
}

fn list(permissions: &[Permission]) -> String {
    permissions.iter().map(|p| format!("{p} (imports `{}`)", p.interfaces().join("` or `"))).collect::<Vec<_>>().join(", ")
}

/// A validated, pre-linked plugin package.
pub struct LoadedPlugin {
    pub sha256: String,
    pub descriptor: section::Descriptor,
    pub imports: ImportedCapabilities,
    /// The contract version it was built for.
    pub contract: ContractVersion,
    pub(crate) pre: Linked,
}

/// A component linked against the host interfaces of its contract version.
pub(crate) enum Linked {
    Current(SectionPluginPre<CallState>),
    V0_3(bindings::v0_3::SectionPluginPre<CallState>),
    /// The same section built for the host (benchmarks and tests only).
    #[cfg(feature = "native")]
    Native(portico_plugin_sdk::native::NativeSection),
}

impl LoadedPlugin {
    pub fn id(&self) -> &str {
        &self.descriptor.id
    }

    pub fn version(&self) -> &str {
        &self.descriptor.version
    }

    /// Whether this is the section's native build (`Sections::run_natively`).
    #[cfg(feature = "native")]
    pub fn runs_natively(&self) -> bool {
        matches!(self.pre, Linked::Native(_))
    }

    /// The permissions the plugin asks for, in declaration order.
    pub fn requested_permissions(&self) -> Vec<Permission> {
        let mut requested: Vec<Permission> = self.descriptor.permissions.iter().map(|p| p.permission.into()).collect();
        requested.dedup();
        requested
    }
}

/// One of the four exported functions, with its arguments.
pub enum Invocation {
    Describe,
    Render(section::Context),
    Action { ctx: section::Context, card: String, action: String, input: Vec<(String, String)> },
    Event(section::Context, section::Event),
}

/// What the invoked function returned.
pub enum Returned {
    Descriptor(section::Descriptor),
    Cards(Vec<super::bindings::cards::Card>),
    Action(Result<super::bindings::cards::Outcome, section::ActionError>),
    Event,
}

pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<CallState>,
    limits: Limits,
    cache_dir: Option<PathBuf>,
    engine_key: String,
    loaded: RwLock<HashMap<String, Arc<LoadedPlugin>>>,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for PluginRuntime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if !allowed {
            self.memory_denied = true;
        }
        Ok(allowed)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }
    fn tables(&self) -> usize {
        self.limits.tables()
    }
    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// Bytes of each instance's memory kept resident between calls (see `new`):
/// a section's stack and heap for one render fit in this.
const KEEP_RESIDENT: usize = 1 << 20;

impl PluginRuntime {
    /// Build the engine. `cache_dir` keeps compiled plugins across restarts.
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> anyhow::Result<Arc<PluginRuntime>> {
        let mut pooling = PoolingAllocationConfig::default();
        // Up to 1000 plugin instances live at once per process. Each memory slot
        // reserves only the memory cap (not wasmtime's default 4 GiB), so the
        // pool costs ~100 GiB of address space instead of terabytes; the price
        // is explicit bounds checks, negligible for section plugins.
        pooling
            .total_component_instances(1000)
            .total_core_instances(1000)
            .total_memories(1000)
            .total_tables(1000)
            .total_stacks(1000)
            .max_memory_size(limits.memory_bytes)
            // Every call is a fresh instance. Resetting the pages a section
            // touched with memset, rather than giving them back to the kernel,
            // spares each call the page faults and the cross-core TLB flushes
            // of madvise; what memory is still given back goes in batches.
            // The price is resident memory: up to this much per warm slot.
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(64 << 10)
            .decommit_batch_size(16)
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .memory_reservation(limits.memory_bytes as u64)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling))
            .max_wasm_stack(512 * 1024);
        let engine = Engine::new(&config).map_err(wasm_error)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasm_error)?;
        // Every contract version side by side: their interface names differ
        // by version, so a component links against the one it was built for.
        SectionPlugin::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state).map_err(wasm_error)?;
        bindings::v0_3::SectionPlugin::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)
            .map_err(wasm_error)?;

        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("{:016x}", hasher.finish());

        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir)?;
        }
        let stop_ticker = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), stop_ticker.clone());
        Ok(Arc::new(PluginRuntime {
            engine,
            linker,
            limits,
            cache_dir,
            engine_key,
            loaded: RwLock::new(HashMap::new()),
            stop_ticker,
        }))
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The package already loaded under `sha256`, if any.
    pub fn get(&self, sha256: &str) -> Option<Arc<LoadedPlugin>> {
        self.loaded.read().expect("plugin table poisoned").get(sha256).cloned()
    }

    /// Put `plugin` in the table in place of what its package had (the
    /// native backend's swap, and back).
    #[cfg(feature = "native")]
    pub(crate) fn replace(&self, plugin: Arc<LoadedPlugin>) {
        self.loaded.write().expect("plugin table poisoned").insert(plugin.sha256.clone(), plugin);
    }

    /// Forget every compiled package `keep` does not name (its code stays in
    /// the database and the disk cache, and loads again if it is needed);
    /// returns how many were dropped. Calls already running hold their own
    /// reference and finish normally.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) -> usize {
        let mut loaded = self.loaded.write().expect("plugin table poisoned");
        let before = loaded.len();
        loaded.retain(|sha256, _| keep(sha256));
        before - loaded.len()
    }

    /// How many compiled packages are held in memory.
    pub fn loaded_count(&self) -> usize {
        self.loaded.read().expect("plugin table poisoned").len()
    }

    /// Compile (or fetch from the cache), check and describe a component.
    pub async fn load(self: &Arc<Self>, wasm: &[u8]) -> Result<Arc<LoadedPlugin>, InstallError> {
        if wasm.len() > self.limits.max_component_bytes {
            return Err(InstallError::TooLarge { size: wasm.len(), max: self.limits.max_component_bytes });
        }
        let sha256 = hex::encode(Sha256::digest(wasm));
        if let Some(loaded) = self.get(&sha256) {
            return Ok(loaded);
        }
        let component = {
            let runtime = self.clone();
            let (wasm, sha) = (wasm.to_vec(), sha256.clone());
            tokio::task::spawn_blocking(move || runtime.compile(&wasm, &sha))
                .await
                .map_err(|e| InstallError::NotAComponent(format!("compilation panicked: {e}")))??
        };
        let admitted = self.admit(&component, &sha256).await;
        if admitted.is_err() {
            // A refused component leaves no compiled copy behind on disk.
            if let Some(path) = self.cached_path(&sha256) {
                let _ = std::fs::remove_file(path);
            }
        }
        admitted
    }

    /// Where the compiled form of `sha256` is cached, if the runtime caches.
    fn cached_path(&self, sha256: &str) -> Option<PathBuf> {
        self.cache_dir.as_ref().map(|dir| dir.join(format!("{sha256}-{}.cwasm", self.engine_key)))
    }

    /// Check a compiled component's imports, link it and ask its descriptor;
    /// keep it loaded when all is well.
    async fn admit(&self, component: &Component, sha256: &str) -> Result<Arc<LoadedPlugin>, InstallError> {
        let sha256 = sha256.to_string();
        let component_type = component.component_type();
        let import_names: Vec<String> =
            component_type.imports(&self.engine).map(|(name, _)| name.to_string()).collect();
        let imports = classify_imports(import_names.iter().map(String::as_str))?;
        let export_names: Vec<String> =
            component_type.exports(&self.engine).map(|(name, _)| name.to_string()).collect();
        let contract = contract_of(export_names.iter().map(String::as_str), &imports)?;
        let link_error = |e: wasmtime::Error| InstallError::Link(format!("{e:#}"));
        let pre = self.linker.instantiate_pre(component).map_err(link_error)?;
        let pre = match contract {
            ContractVersion::V0_4 => Linked::Current(SectionPluginPre::new(pre).map_err(link_error)?),
            ContractVersion::V0_3 => Linked::V0_3(bindings::v0_3::SectionPluginPre::new(pre).map_err(link_error)?),
        };

        let descriptor = match self.invoke(&pre, CallScope::install("(installing)"), None, Invocation::Describe).await {
            Ok(Returned::Descriptor(descriptor)) => descriptor,
            Ok(_) => unreachable!("describe returns a descriptor"),
            Err(CallFailure::Timeout(limit)) => return Err(InstallError::DescribeTooSlow(limit)),
            Err(failure) => return Err(InstallError::Describe(failure)),
        };
        validate_descriptor(&descriptor)?;
        let declared: Vec<Permission> = descriptor.permissions.iter().map(|p| p.permission.into()).collect();
        let undeclared: Vec<Permission> =
            imports.permissions.iter().copied().filter(|p| !declared.contains(p)).collect();
        if !undeclared.is_empty() {
            return Err(InstallError::UndeclaredImports(undeclared));
        }

        let loaded = Arc::new(LoadedPlugin { sha256: sha256.clone(), descriptor, imports, contract, pre });
        self.loaded.write().expect("plugin table poisoned").insert(sha256, loaded.clone());
        Ok(loaded)
    }

    fn compile(&self, wasm: &[u8], sha256: &str) -> Result<Component, InstallError> {
        let cached = self.cached_path(sha256);
        if let Some(path) = cached.as_ref().filter(|path| path.exists()) {
            // SAFETY: the file was written by `Component::serialize` of this very
            // engine configuration (its name carries the engine's compatibility
            // hash and the source's SHA-256) into the host's own data directory,
            // which is as trusted as the binary itself.
            match unsafe { Component::deserialize_file(&self.engine, path) } {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "discarding unusable compiled plugin");
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        let started = Instant::now();
        let component = Component::new(&self.engine, wasm).map_err(|e| InstallError::NotAComponent(format!("{e:#}")))?;
        tracing::info!(sha256, elapsed_ms = started.elapsed().as_millis() as u64, "compiled plugin");
        if let Some(path) = cached {
            match component.serialize() {
                Ok(bytes) => {
                    let partial = path.with_extension("partial");
                    if let Err(error) = std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, &path)) {
                        tracing::warn!(%error, "could not cache a compiled plugin");
                    }
                }
                Err(error) => tracing::warn!(%error, "could not serialize a compiled plugin"),
            }
        }
        Ok(component)
    }

    /// Run one exported function in a fresh instance.
    pub async fn call(
        &self,
        plugin: &LoadedPlugin,
        scope: CallScope,
        host: Option<HostServices>,
        invocation: Invocation,
    ) -> Result<Returned, CallFailure> {
        self.invoke(&plugin.pre, scope, host, invocation).await
    }

    async fn invoke(
        &self,
        pre: &Linked,
        scope: CallScope,
        host: Option<HostServices>,
        invocation: Invocation,
    ) -> Result<Returned, CallFailure> {
        let timeout = self.limits.call_timeout;
        let kind = match &invocation {
            Invocation::Describe => CallKind::Describe,
            Invocation::Render(_) => CallKind::Render,
            Invocation::Action { .. } => CallKind::Action,
            Invocation::Event(..) => CallKind::Event,
        };
        let state = CallState::new(scope, kind, host, self.limits.memory_bytes);
        #[cfg(feature = "native")]
        if let Linked::Native(section) = pre {
            return super::native::call(*section, state, invocation, timeout).await;
        }
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state);
        let deadline = Instant::now() + timeout;
        // Yield to the executor at every tick so a busy plugin never starves other
        // requests, and stop it for good once its time is up.
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline { UpdateDeadline::Interrupt } else { UpdateDeadline::Yield(1) })
        });
        store.set_epoch_deadline(1);

        let run = async {
            match pre {
                Linked::Current(pre) => run_current(pre, &mut store, invocation).await,
                Linked::V0_3(pre) => run_v0_3(pre, &mut store, invocation).await,
                #[cfg(feature = "native")]
                Linked::Native(_) => unreachable!("native sections are called above"),
            }
        };
        // Host calls (database queries) are outside the epoch's reach; the outer
        // timeout bounds them too.
        let outcome = tokio::time::timeout(timeout + Duration::from_millis(250), run).await;
        match outcome {
            Err(_elapsed) => Err(CallFailure::Timeout(timeout)),
            Ok(Ok(Ok(returned))) => Ok(returned),
            Ok(Ok(Err(message))) => Err(CallFailure::Plugin(portico_core::text::one_line(&message, 500))),
            Ok(Err(error)) => Err(classify_trap(&error, store.data().memory_denied, timeout, self.limits.memory_bytes)),
        }
    }
}

/// What a call's export returned: a value, or the plugin's own error message
/// (from `render` or `on-event`, or a 0.3.0 value the host could not bring up).
type Ran = wasmtime::Result<Result<Returned, String>>;

async fn run_current(pre: &SectionPluginPre<CallState>, store: &mut Store<CallState>, invocation: Invocation) -> Ran {
    let plugin = pre.instantiate_async(&mut *store).await?;
    let section = plugin.portico_plugin_section();
    Ok(Ok(match invocation {
        Invocation::Describe => Returned::Descriptor(section.call_describe(&mut *store).await?),
        Invocation::Render(ctx) => match section.call_render(&mut *store, &ctx).await? {
            Ok(cards) => Returned::Cards(cards),
            Err(message) => return Ok(Err(message)),
        },
        Invocation::Action { ctx, card, action, input } => {
            Returned::Action(section.call_handle_action(&mut *store, &ctx, &card, &action, &input).await?)
        }
        Invocation::Event(ctx, event) => match section.call_on_event(&mut *store, &ctx, &event).await? {
            Ok(()) => Returned::Event,
            Err(message) => return Ok(Err(message)),
        },
    }))
}

/// The same call to a 0.3.0 section: arguments go down, answers come up.
async fn run_v0_3(pre: &bindings::v0_3::SectionPluginPre<CallState>, store: &mut Store<CallState>, invocation: Invocation) -> Ran {
    let plugin = pre.instantiate_async(&mut *store).await?;
    let section = plugin.portico_plugin_section();
    let converted = |result: Result<Returned, String>| Ok(result.map_err(|why| format!("contract 0.3.0 adapter: {why}")));
    match invocation {
        Invocation::Describe => converted(since_v0_3::descriptor(section.call_describe(&mut *store).await?).map(Returned::Descriptor)),
        Invocation::Render(ctx) => {
            let ctx = match since_v0_3::context(&ctx) {
                Ok(ctx) => ctx,
                Err(why) => return converted(Err(why)),
            };
            match section.call_render(&mut *store, &ctx).await? {
                Ok(cards) => converted(since_v0_3::cards(cards).map(Returned::Cards)),
                Err(message) => Ok(Err(message)),
            }
        }
        Invocation::Action { ctx, card, action, input } => {
            let ctx = match since_v0_3::context(&ctx) {
                Ok(ctx) => ctx,
                Err(why) => return converted(Err(why)),
            };
            let answer = section.call_handle_action(&mut *store, &ctx, &card, &action, &input).await?;
            converted(since_v0_3::action(answer).map(Returned::Action))
        }
        Invocation::Event(ctx, event) => {
            let (ctx, event) = match (since_v0_3::context(&ctx), since_v0_3::event(&event)) {
                (Ok(ctx), Ok(event)) => (ctx, event),
                (Err(why), _) | (_, Err(why)) => return converted(Err(why)),
            };
            match section.call_on_event(&mut *store, &ctx, &event).await? {
                Ok(()) => Ok(Ok(Returned::Event)),
                Err(message) => Ok(Err(message)),
            }
        }
    }
}

/// wasmtime's error type is its own; carry its whole chain into anyhow.
fn wasm_error(error: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{error:#}")
}

fn classify_trap(error: &wasmtime::Error, memory_denied: bool, timeout: Duration, memory: usize) -> CallFailure {
    if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
        return CallFailure::Timeout(timeout);
    }
    if memory_denied {
        return CallFailure::OutOfMemory(memory);
    }
    CallFailure::Trap(portico_core::text::one_line(&format!("{error:#}"), 500))
}

fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawn the epoch ticker");
}

fn is_plain_id(id: &str, max: usize) -> bool {
    !id.is_empty()
        && id.len() <= max
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn validate_descriptor(descriptor: &section::Descriptor) -> Result<(), InstallError> {
    let invalid = |why: String| Err(InstallError::InvalidDescriptor(why));
    if !is_plain_id(&descriptor.id, 40) {
        return invalid(format!("plugin id {:?} must be 1-40 lower-case letters, digits and dashes", descriptor.id));
    }
    if descriptor.name.trim().is_empty() || descriptor.name.len() > 80 {
        return invalid("the name must be 1-80 bytes".into());
    }
    if descriptor.version.is_empty() || descriptor.version.len() > 32 {
        return invalid("the version must be 1-32 bytes".into());
    }
    if descriptor.cards.is_empty() || descriptor.cards.len() > 20 {
        return invalid(format!("a plugin declares 1 to 20 cards, not {}", descriptor.cards.len()));
    }
    let mut ids: Vec<&str> = Vec::new();
    for card in &descriptor.cards {
        if !is_plain_id(&card.id, 64) || ids.contains(&card.id.as_str()) {
            return invalid(format!("card id {:?} is not a unique plain id", card.id));
        }
        ids.push(&card.id);
    }
    let mut keys: Vec<&str> = Vec::new();
    for setting in &descriptor.settings {
        if !is_plain_id(&setting.key, 64) || keys.contains(&setting.key.as_str()) {
            return invalid(format!("setting key {:?} is not a unique plain id", setting.key));
        }
        if serde_json::from_str::<serde_json::Value>(&setting.default_value).is_err() {
            return invalid(format!("the default of setting {:?} is not JSON", setting.key));
        }
        keys.push(&setting.key);
    }
    Ok(())
}
