//! The native backend's host side: this build's own sections compiled for
//! the host and called in-process, through the same host functions as
//! their components (the SDK's `native` module says how a call crosses).
//!
//! For the benchmarks (what the sandbox costs: the same page with wasm
//! sections and with native ones) and, later, section authors' tests. A
//! native section has no sandbox (no memory cap, and a call past its time
//! is abandoned, not stopped), so only first-party sections of this very
//! build run natively, and only when a benchmark or test asks.

use super::bindings::{self, cards, section};
use super::call::CallState;
use super::runtime::{CallFailure, Invocation, Linked, LoadedPlugin, Returned};
use super::Sections;
use portico_data::CountedBy;
use portico_plugin_sdk::native::{decode, encode, NativeHost, NativeSection};
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::runtime::RuntimeFlavor;

/// `dispatch`: one host function of a native section's call, by its WIT
/// name, run by the implementation the components' imports use (so every
/// permission, quota and tenancy check holds).
macro_rules! dispatcher {
    ($($interface:ident $interface_name:literal {
        $($function:ident $function_name:literal ($($arg:ident: $type:ty),*) -> $result:ty;)*
    })*) => {
        async fn dispatch(state: &mut CallState, function: &str, args: &[u8]) -> Option<Vec<u8>> {
            Some(match function {
                $($(
                    concat!($interface_name, "/", $function_name) => {
                        let ($($arg,)*) = decode(args);
                        encode(&<CallState as bindings::$interface::Host>::$function(state, $($arg),*).await)
                    }
                )*)*
                _ => return None,
            })
        }
    };
}
portico_plugin_sdk::__host_functions!(dispatcher);

/// The host lent to one native call: its call state, the runtime its host
/// functions (database reads) run on, and when the call's time is up.
struct Lent {
    state: CallState,
    runtime: tokio::runtime::Handle,
    /// Whose statements its host functions run (the page's, counted).
    counted: CountedBy,
    deadline: tokio::time::Instant,
}

impl NativeHost for Lent {
    fn call(&mut self, function: &str, args: &[u8]) -> Vec<u8> {
        let answer = self.counted.count(dispatch(&mut self.state, function, args));
        wait(&self.runtime, self.deadline, answer).unwrap_or_else(|| panic!("the contract has no host function {function}"))
    }
}

/// Why a native call was unwound: its time ran out while a host function
/// waited.
struct TimedOut;

/// What `future` gives, waiting for it synchronously: at once when it is
/// ready at once (a render's reads answered from the page's snapshot), else
/// blocking this thread (handing its other tasks to another worker) until
/// the runtime has done it, or until `deadline`, when the call unwinds as
/// timed out. (A render waits in place, so the page's other sections, in
/// the same task, wait with it: a sandboxed one mid-way through a read this
/// one needs would never finish it, and the deadline is what ends that.)
fn wait<F: Future>(runtime: &tokio::runtime::Handle, deadline: tokio::time::Instant, future: F) -> F::Output {
    let mut future = pin!(future);
    if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        return output;
    }
    let waited = tokio::task::block_in_place(|| runtime.block_on(tokio::time::timeout_at(deadline, future)));
    waited.unwrap_or_else(|_elapsed| std::panic::panic_any(TimedOut))
}

/// Run one export of `section`. The section is synchronous and its host
/// functions are not. A render runs here, on the task's own thread: a page's
/// renders read from its snapshot, so they seldom wait, and then in place.
/// Anything else (an action or event may start other sections' calls from
/// its host functions) runs on a blocking thread of its own, as does every
/// call on a single-threaded runtime, where nothing may block in place.
/// Natively there is no sandbox: a call's time limit stops it only while a
/// host function waits (a section looping in its own code runs on), and
/// a call on its own thread that overruns is abandoned, not stopped.
pub(crate) async fn call(section: NativeSection, state: CallState, invocation: Invocation, timeout: Duration) -> Result<Returned, CallFailure> {
    let runtime = tokio::runtime::Handle::current();
    let host = Lent { state, runtime: runtime.clone(), counted: CountedBy::this_task(), deadline: tokio::time::Instant::now() + timeout };
    let in_place = matches!(invocation, Invocation::Render(_)) && runtime.runtime_flavor() == RuntimeFlavor::MultiThread;
    let ran = if in_place {
        std::panic::catch_unwind(AssertUnwindSafe(|| run(section, host, invocation)))
    } else {
        let on_its_own = tokio::task::spawn_blocking(move || run(section, host, invocation));
        match tokio::time::timeout(timeout, on_its_own).await {
            Err(_elapsed) => return Err(CallFailure::Timeout(timeout)),
            Ok(Err(joined)) if joined.is_panic() => Err(joined.into_panic()),
            Ok(Err(_cancelled)) => return Err(CallFailure::Trap("the call was cancelled".into())),
            Ok(Ok(ran)) => Ok(ran),
        }
    };
    match ran {
        Ok(Ok(returned)) => Ok(returned),
        Ok(Err(message)) => Err(CallFailure::Plugin(portico_core::text::one_line(&message, 500))),
        Err(panic) if panic.is::<TimedOut>() => Err(CallFailure::Timeout(timeout)),
        Err(panic) => Err(CallFailure::Trap(format!("panicked: {}", panic_message(&*panic)))),
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "(no message)".into())
}

/// One export's call, answered: what it returned, or its own error message.
fn run(section: NativeSection, host: Lent, invocation: Invocation) -> Result<Returned, String> {
    let host = Box::new(host);
    match invocation {
        Invocation::Describe => Ok(Returned::Descriptor(decode(&(section.describe)()))),
        Invocation::Render(ctx) => decode::<Result<Vec<cards::Card>, String>>(&(section.render)(&encode(&(ctx,)), host)).map(Returned::Cards),
        Invocation::Action { ctx, card, action, input } => {
            Ok(Returned::Action(decode(&(section.handle_action)(&encode(&(ctx, card, action, input)), host))))
        }
        Invocation::Event(ctx, event) => decode::<Result<(), String>>(&(section.on_event)(&encode(&(ctx, event)), host)).map(|()| Returned::Event),
    }
}

impl Sections {
    /// Run this build's first-party sections natively from now on: each of
    /// `natives` replaces the loaded component with the same descriptor
    /// (same id, version, cards and permissions), under the same package,
    /// so every installation of it calls the native build. Returns the ids
    /// replaced; refuses a native build whose descriptor differs from its
    /// component's (the two were built from different sources).
    pub fn run_natively(&self, natives: &[NativeSection]) -> Result<Vec<String>, String> {
        // Every native build is checked before any is swapped in.
        let builtins = self.builtins();
        let mut swaps = Vec::new();
        for native in natives {
            let described = std::panic::catch_unwind(|| decode::<section::Descriptor>(&(native.describe)()));
            let descriptor = described.map_err(|panic| format!("a native section's describe panicked: {}", panic_message(&*panic)))?;
            let Some(component) = builtins.iter().find(|plugin| plugin.id() == descriptor.id) else {
                return Err(format!("no first-party component is called {}", descriptor.id));
            };
            let json = |descriptor: &section::Descriptor| serde_json::to_string(descriptor).unwrap_or_default();
            if json(&descriptor) != json(&component.descriptor) {
                return Err(format!("the native build of {} describes itself otherwise than its component", descriptor.id));
            }
            swaps.push(LoadedPlugin {
                sha256: component.sha256.clone(),
                descriptor,
                imports: component.imports.clone(),
                contract: component.contract,
                pre: Linked::Native(*native),
            });
        }
        let replaced = swaps.iter().map(|plugin| plugin.id().to_string()).collect();
        for plugin in swaps {
            self.runtime.replace(Arc::new(plugin));
        }
        Ok(replaced)
    }

    /// Run the first-party sections as components again.
    pub fn run_in_wasm(&self) {
        for component in self.builtins() {
            self.runtime.replace(component);
        }
    }
}
