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

/// The host lent to one native call: its call state, and the runtime its
/// host functions (database reads) run on.
struct Lent {
    state: CallState,
    runtime: tokio::runtime::Handle,
    /// Whose statements its host functions run (the page's, counted).
    counted: CountedBy,
}

impl NativeHost for Lent {
    fn call(&mut self, function: &str, args: &[u8]) -> Vec<u8> {
        let answer = self.counted.count(dispatch(&mut self.state, function, args));
        wait(&self.runtime, answer).unwrap_or_else(|| panic!("the contract has no host function {function}"))
    }
}

/// What `future` gives, waiting for it synchronously: at once when it is
/// ready at once (a render's reads answered from the page's snapshot), else
/// blocking this thread (handing its other tasks to another worker) until
/// the runtime has done it.
fn wait<F: Future>(runtime: &tokio::runtime::Handle, future: F) -> F::Output {
    let mut future = pin!(future);
    if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        return output;
    }
    tokio::task::block_in_place(|| runtime.block_on(future))
}

/// Run one export of `section`. The section is synchronous and its host
/// functions are not. A render runs here, on the task's own thread: a page's
/// renders read from its snapshot, so they seldom wait, and then in place.
/// Anything else (an action or event may start other sections' calls from
/// its host functions) runs on a blocking thread of its own, as does every
/// call on a single-threaded runtime, where nothing may block in place.
/// Natively there is no sandbox: a render cannot be stopped at its time
/// limit, and a call on its own thread is abandoned at it, not stopped.
pub(crate) async fn call(section: NativeSection, state: CallState, invocation: Invocation, timeout: Duration) -> Result<Returned, CallFailure> {
    let runtime = tokio::runtime::Handle::current();
    let counted = CountedBy::this_task();
    let in_place = matches!(invocation, Invocation::Render(_)) && runtime.runtime_flavor() == RuntimeFlavor::MultiThread;
    if in_place {
        return settle(std::panic::catch_unwind(AssertUnwindSafe(|| run(section, Lent { state, runtime, counted }, invocation))));
    }
    let on_its_own = tokio::task::spawn_blocking(move || run(section, Lent { state, runtime, counted }, invocation));
    match tokio::time::timeout(timeout, on_its_own).await {
        Err(_elapsed) => Err(CallFailure::Timeout(timeout)),
        Ok(Err(joined)) if joined.is_panic() => settle(Err(joined.into_panic())),
        Ok(Err(_cancelled)) => Err(CallFailure::Trap("the call was cancelled".into())),
        Ok(Ok(ran)) => settle(Ok(ran)),
    }
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

/// A call's end as the runtime reports it: a panic is a trap.
fn settle(ran: Result<Result<Returned, String>, Box<dyn Any + Send>>) -> Result<Returned, CallFailure> {
    match ran {
        Ok(Ok(returned)) => Ok(returned),
        Ok(Err(message)) => Err(CallFailure::Plugin(portico_core::text::one_line(&message, 500))),
        Err(panic) => {
            let message = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
            Err(CallFailure::Trap(format!("panicked: {}", message.unwrap_or_else(|| "(no message)".into()))))
        }
    }
}

impl Sections {
    /// Run this build's first-party sections natively from now on: each of
    /// `natives` replaces the loaded component with the same descriptor
    /// (same id, version, cards and permissions), under the same package,
    /// so every installation of it calls the native build. Returns the ids
    /// replaced; refuses a native build whose descriptor differs from its
    /// component's (the two were built from different sources).
    pub async fn run_natively(&self, natives: &[NativeSection]) -> Result<Vec<String>, String> {
        let mut replaced = Vec::new();
        for native in natives {
            let descriptor: section::Descriptor = decode(&(native.describe)());
            let Some(component) = self.builtins().into_iter().find(|plugin| plugin.id() == descriptor.id) else {
                return Err(format!("no first-party component is called {}", descriptor.id));
            };
            let json = |descriptor: &section::Descriptor| serde_json::to_string(descriptor).unwrap_or_default();
            if json(&descriptor) != json(&component.descriptor) {
                return Err(format!("the native build of {} describes itself otherwise than its component", descriptor.id));
            }
            self.runtime.replace(Arc::new(LoadedPlugin {
                sha256: component.sha256.clone(),
                descriptor,
                imports: component.imports.clone(),
                contract: component.contract,
                pre: Linked::Native(*native),
            }));
            replaced.push(component.id().to_string());
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
