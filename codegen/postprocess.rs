//! What `build.rs` changes in progenitor's output before writing it, for the published API:
//!
//! - **`#[non_exhaustive]` on response types.** A struct or enum of `types` that no request
//!   uses (no body or parameter of an operation builder reaches it, through any field) gets
//!   `#[non_exhaustive]`, so that a field or variant the API adds to a response later is a
//!   minor release, not a breaking one. Types that requests use stay exhaustive: callers build
//!   them with struct literals or the `types::builder` builders. Which types are which is read
//!   from the generated code itself: the fields of the operation builders in `builder`,
//!   closed over the fields of the types they name.
//! - **User-facing wording for the spec's maintainer notes.** `openapi.yaml` marks what the
//!   public API reference does not show with the word `INFERRED`; in the generated docs it
//!   reads *assumed*, with a note saying what that means. The `Client` struct's doc, which
//!   progenitor fills with the spec's `info.description` (written for maintainers), is
//!   replaced by a short one for users.
//!
//! - **No `api-version` header.** progenitor adds one to every request; the Credits API has no
//!   such header, so its statements are removed (see [`DropApiVersion`]).
//! - **One read of each response.** Every operation's `send` hands its request to the SDK's
//!   pipeline, which reads the whole body (within the size limit and the time budget), and
//!   decodes the value from those bytes, instead of progenitor's `exec` hook returning a
//!   rebuilt `reqwest::Response` for `ResponseValue::from_response` to copy and read again
//!   (see [`ReadOnce`]).
//!
//! - **The base URL parsed once.** Each operation's request is built by
//!   `crate::api::request`, which parses the URL progenitor formats (base URL + path) from the
//!   client's base URL parsed once, instead of `reqwest::Client::get(url)` parsing it whole
//!   (see [`BaseUrlOnce`]).
//!
//! - **Only the pending request across the `.await`.** Each operation's `send` builds and
//!   readies its request in a block of its own that ends with the pipeline's future, so that
//!   its body, request and other locals take no room in the state the caller's future holds
//!   while the request is on its way (see [`SmallState`]).
//!
//! And, once that is done, the split between the two crates: [`keep_types`] for
//! `credits-types`, [`import_types`] for the SDK. The spec itself is not changed.

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// The note appended to every doc string that contained `INFERRED`.
pub const ASSUMED_NOTE: &str =
    "*Assumed*: not shown in the public API reference; this is the SDK's assumption about the API.";

/// Applies the changes above to the generated file.
pub fn apply(file: &mut syn::File) -> Result<(), String> {
    let readonly = non_request_types(file);
    mark_non_exhaustive(file, &readonly);
    DocRewriter.visit_file_mut(file);
    replace_client_doc(file);
    DropApiVersion.visit_file_mut(file);
    let mut read_once = ReadOnce::default();
    read_once.visit_file_mut(file);
    read_once.check()?;
    let mut base_once = BaseUrlOnce::default();
    base_once.visit_file_mut(file);
    base_once.check()?;
    let mut small_state = SmallState::default();
    small_state.visit_file_mut(file);
    small_state.check(read_once.exec)
}

/// For `credits-types`: keeps only the `types` module (with its `builder` and `error`
/// submodules), the part the sandbox shares with the SDK.
#[allow(dead_code)] // each build script uses one of `keep_types` and `import_types`
pub fn keep_types(file: &mut syn::File) {
    file.items.retain(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    for item in &mut file.items {
        if let syn::Item::Mod(m) = item {
            // The docs are the spec's prose, written as Markdown for OpenAPI tools, not rustdoc.
            m.attrs.push(syn::parse_quote!(#[allow(
                missing_docs,
                clippy::all,
                clippy::pedantic,
                rustdoc::bare_urls,
                rustdoc::broken_intra_doc_links,
                rustdoc::invalid_html_tags
            )]));
        }
    }
}

/// For the SDK: replaces the generated `types` module with a re-export of `path` (the same
/// module, generated from the same spec by `credits-types`), so the client's `types::X`
/// paths name the shared types.
#[allow(dead_code)] // each build script uses one of `keep_types` and `import_types`
pub fn import_types(file: &mut syn::File, path: &str) -> Result<(), String> {
    let path: syn::Path = syn::parse_str(path).map_err(|e| format!("bad types path {path:?}: {e}"))?;
    let at = file
        .items
        .iter()
        .position(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"))
        .ok_or("progenitor generated no `types` module")?;
    file.items[at] = syn::parse_quote!(pub use #path;);
    Ok(())
}

/// A token stream flattened to its identifiers and punctuation, groups opened.
fn flatten(tokens: proc_macro2::TokenStream, out: &mut Vec<proc_macro2::TokenTree>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Group(group) => flatten(group.stream(), out),
            other => out.push(other),
        }
    }
}

/// Every identifier in `node`.
fn names(node: &impl ToTokens) -> BTreeSet<String> {
    let mut flat = Vec::new();
    flatten(node.to_token_stream(), &mut flat);
    flat.iter()
        .filter_map(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => Some(ident.to_string()),
            _ => None,
        })
        .collect()
}

fn module<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a [syn::Item]> {
    items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items.as_slice()),
        _ => None,
    })
}

/// The names of the `types` items no request reaches.
fn non_request_types(file: &syn::File) -> BTreeSet<String> {
    let Some(types) = module(&file.items, "types") else { return BTreeSet::new() };
    // Each type of `types` and the names its fields mention.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in types {
        match item {
            syn::Item::Struct(s) => graph.insert(s.ident.to_string(), names(&s.fields)),
            syn::Item::Enum(e) => graph.insert(e.ident.to_string(), names(&e.variants)),
            _ => continue,
        };
    }

    let mut requests = BTreeSet::new();
    for item in module(&file.items, "builder").unwrap_or_default() {
        if let syn::Item::Struct(s) = item {
            requests.extend(names(&s.fields));
        }
    }

    // Types no request uses, including those nothing uses (the spec's error schemas, which
    // the hand-written `ErrorBody` replaces): callers only ever read them.
    let from_requests = closure(&graph, requests);
    graph.keys().filter(|name| !from_requests.contains(*name)).cloned().collect()
}

fn closure(graph: &BTreeMap<String, BTreeSet<String>>, roots: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().filter(|name| graph.contains_key(name)).collect();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            todo.extend(graph[&name].iter().filter(|n| graph.contains_key(*n) && !seen.contains(*n)).cloned());
        }
    }
    seen
}

fn mark_non_exhaustive(file: &mut syn::File, names: &BTreeSet<String>) {
    let attr: syn::Attribute = syn::parse_quote!(#[non_exhaustive]);
    for item in &mut file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "types" {
            continue;
        }
        for item in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
            match item {
                syn::Item::Struct(s) if names.contains(&s.ident.to_string()) => s.attrs.push(attr.clone()),
                syn::Item::Enum(e) if names.contains(&e.ident.to_string()) => e.attrs.push(attr.clone()),
                _ => {}
            }
        }
    }
}

/// Rewrites `INFERRED` in every `#[doc = ".."]`.
struct DocRewriter;

impl VisitMut for DocRewriter {
    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        if !attr.path().is_ident("doc") {
            return;
        }
        let syn::Meta::NameValue(nv) = &mut attr.meta else { return };
        let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &mut nv.value else { return };
        let value = text.value();
        if value.contains("INFERRED") {
            *text = syn::LitStr::new(&user_wording(&value), text.span());
        }
    }
}

/// `INFERRED` becomes *assumed* (capitalised where a sentence starts), and the doc ends with
/// [`ASSUMED_NOTE`].
pub fn user_wording(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() + ASSUMED_NOTE.len() + 4);
    let mut rest = doc;
    while let Some(at) = rest.find("INFERRED") {
        let before = &rest[..at];
        out.push_str(before);
        let previous = out.trim_end().chars().last();
        let starts_sentence = matches!(previous, None | Some('.' | ':' | ';' | '!' | '?'));
        out.push_str(if starts_sentence { "*Assumed*" } else { "*assumed*" });
        rest = &rest[at + "INFERRED".len()..];
    }
    out.push_str(rest);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push_str("\n\n");
    out.push_str(ASSUMED_NOTE);
    out.push('\n');
    out
}

/// Replaces the doc of the generated `Client` (the spec's `info.description`, written for
/// the spec's maintainers) with one for users.
fn replace_client_doc(file: &mut syn::File) {
    let doc = "The generated client of the Credits API: one method per operation of `openapi.yaml`, \
         each returning a builder; set its parameters and call `send()`.\n\n\
         Every request goes through the [`Pipeline`] the client holds \
         (API key, user agent, timeouts, retries, size limit). The crate's documentation has \
         an example; `CreditsClient` is the hand-written facade over this client.\n\n\
         Where a description says *assumed*, it describes what the public API reference does \
         not show: the SDK's assumption about the API, which the spec and the SDK follow.";
    for item in &mut file.items {
        if let syn::Item::Struct(s) = item
            && s.ident == "Client"
        {
            s.attrs.retain(|attr| !attr.path().is_ident("doc"));
            s.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
        }
    }
}

/// Removes the `api-version` header progenitor adds to every request (the Credits API has no
/// such header), so that no request builds it only for the pipeline to strip it again.
pub struct DropApiVersion;

impl VisitMut for DropApiVersion {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| !quote::quote!(#stmt).to_string().contains("\"api-version\""));
        if block.stmts.len() < before {
            // The header map was sized for it: `HeaderMap::with_capacity(n)` becomes `n - 1`, and
            // an empty map allocates nothing.
            for stmt in &mut block.stmts {
                if let syn::Stmt::Local(local) = stmt
                    && let Some(init) = &mut local.init
                    && let syn::Expr::Call(call) = &mut *init.expr
                    && quote::quote!(#call).to_string().contains("HeaderMap :: with_capacity")
                    && let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(n), .. })) = call.args.first_mut()
                    && let Ok(count) = n.base10_parse::<usize>()
                {
                    *n = syn::LitInt::new(&format!("{}usize", count.saturating_sub(1)), n.span());
                }
            }
        }
        syn::visit_mut::visit_block_mut(self, block);
    }
}

/// Rewrites each operation's `send` to go through the SDK's own send path (`crate::api`), which
/// returns the response already read:
///
/// | progenitor's | becomes |
/// |---|---|
/// | `client.pre(&mut request, &info).await` | `crate::api::prepare(client, &mut request, &info)` |
/// | `client.exec(request, &info).await` | `crate::api::exec(client, request, &info).await` |
/// | `client.post(&result, &info).await` | `crate::api::check(&result)` |
/// | `ResponseValue::from_response(response).await` | `crate::api::decode(response)` |
/// | `Error::UnexpectedResponse(response)` | `Error::UnexpectedResponse(response.into_response())` |
///
/// (`prepare` is synchronous: an `.await` would keep the request and the body in the state of
/// every operation's future for nothing.)
///
/// The build stops unless every `exec` met has its `pre` and its `post`, there are at least as many decodes
/// as `exec`s and no `from_response` remains (untested against another progenitor: a shape
/// these counts miss would most likely fail to compile instead).
#[derive(Default)]
pub struct ReadOnce {
    pre: usize,
    exec: usize,
    post: usize,
    decode: usize,
    unexpected: usize,
    left: usize,
}

impl ReadOnce {
    fn check(&self) -> Result<(), String> {
        if self.exec == self.pre
            && self.exec == self.post
            && self.left == 0
            && self.decode >= self.exec
            && self.unexpected <= self.exec
        {
            Ok(())
        } else {
            Err(format!(
                "progenitor's send methods have an unexpected shape (pre {}, exec {}, post {}, decode {}, \
                 from_response left {}): codegen/postprocess.rs (ReadOnce) must learn it",
                self.pre, self.exec, self.post, self.decode, self.left
            ))
        }
    }
}

/// Whether `expr` is the path `name` (one segment).
fn is_ident(expr: &syn::Expr, name: &str) -> bool {
    matches!(expr, syn::Expr::Path(p) if p.path.is_ident(name))
}

/// Whether `path` ends with the segments `tail`.
fn ends_with(path: &syn::Path, tail: &[&str]) -> bool {
    path.segments.len() >= tail.len()
        && path.segments.iter().rev().zip(tail.iter().rev()).all(|(segment, name)| segment.ident == name)
}

impl VisitMut for ReadOnce {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        let replacement: Option<syn::Expr> = match &*expr {
            syn::Expr::Await(awaited) => match &*awaited.base {
                syn::Expr::MethodCall(call) if is_ident(&call.receiver, "client") && call.method == "pre" => {
                    self.pre += 1;
                    let args = &call.args;
                    Some(syn::parse_quote!(crate::api::prepare(client, #args)))
                }
                syn::Expr::MethodCall(call) if is_ident(&call.receiver, "client") && call.method == "exec" => {
                    self.exec += 1;
                    let args = &call.args;
                    Some(syn::parse_quote!(crate::api::exec(client, #args).await))
                }
                syn::Expr::MethodCall(call) if is_ident(&call.receiver, "client") && call.method == "post" => {
                    self.post += 1;
                    let result = call.args.first();
                    Some(syn::parse_quote!(crate::api::check(#result)))
                }
                syn::Expr::Call(call) if matches!(&*call.func, syn::Expr::Path(p) if ends_with(&p.path, &["ResponseValue", "from_response"])) =>
                {
                    self.decode += 1;
                    let response = call.args.first();
                    Some(syn::parse_quote!(crate::api::decode(#response)))
                }
                _ => None,
            },
            syn::Expr::Call(call)
                if matches!(&*call.func, syn::Expr::Path(p) if ends_with(&p.path, &["Error", "UnexpectedResponse"]))
                    && call.args.len() == 1
                    && call.args.first().is_some_and(|arg| is_ident(arg, "response")) =>
            {
                self.unexpected += 1;
                let func = &call.func;
                Some(syn::parse_quote!(#func(response.into_response())))
            }
            syn::Expr::Path(p) if ends_with(&p.path, &["ResponseValue", "from_response"]) => {
                self.left += 1;
                None
            }
            _ => None,
        };
        match replacement {
            // The replacements hold nothing more to rewrite.
            Some(replacement) => *expr = replacement,
            None => syn::visit_mut::visit_expr_mut(self, expr),
        }
    }
}

/// Rewrites `client.client.get(url)` (and `post`, `put`, `patch`, `delete`, `head`) in each
/// operation's `send` to `crate::api::request(client, ::reqwest::Method::GET, url)`. The build
/// stops if a request is built another way (`client.client` used otherwise) or none is found.
#[derive(Default)]
pub struct BaseUrlOnce {
    rewritten: usize,
    left: usize,
}

impl BaseUrlOnce {
    fn check(&self) -> Result<(), String> {
        if self.rewritten > 0 && self.left == 0 {
            Ok(())
        } else {
            Err(format!(
                "progenitor's requests are built in an unexpected way ({} rewritten, {} left): \
                 codegen/postprocess.rs (BaseUrlOnce) must learn it",
                self.rewritten, self.left
            ))
        }
    }
}

/// Whether `expr` is `client.client`.
fn is_http_client(expr: &syn::Expr) -> bool {
    matches!(expr, syn::Expr::Field(f) if is_ident(&f.base, "client")
        && matches!(&f.member, syn::Member::Named(name) if name == "client"))
}

impl VisitMut for BaseUrlOnce {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(call) = &*expr
            && is_http_client(&call.receiver)
        {
            let method = call.method.to_string();
            if matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete" | "head") && call.args.len() == 1 {
                self.rewritten += 1;
                let verb = syn::Ident::new(&method.to_uppercase(), call.method.span());
                let url = &call.args[0];
                *expr = syn::parse_quote!(crate::api::request(client, ::reqwest::Method::#verb, #url));
                return;
            }
        }
        if is_http_client(expr) {
            self.left += 1;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// Rewrites the body of each operation's `send` (after [`ReadOnce`]) so that what it builds
/// before sending lives in a block that ends before the `.await`, and so that the request is
/// built by a closure the pipeline calls again for a retry:
///
/// ```text
/// let Self { client, body } = self;                 let pending = {
/// let body = ...?;                                      let Self { client, body } = self;
/// let url = ...;                                        let body = ...?;
/// let mut request = ...build()?;            =>          let build = move || -> Result<Request, E> {
/// let info = ...;                                           let url = ...; let request = ...build()?; Ok(request)
/// crate::api::prepare(client, &mut request, &info)?;    };
/// let result = crate::api::exec(client, request,        let mut request = build()?;
///     &info).await;                                     let info = ...; crate::api::prepare(..)?;
/// ...                                                   crate::api::exec(client, request, &info, build)
///                                                   };
///                                                   let result = pending.await;
/// ```
///
/// A local of an `async fn` keeps its room in the future's state until the end of its scope,
/// even when it was moved away before the `.await` (the request) or is never used after it
/// (the URL): the block ends their scope there. The validated body and parameters move into
/// `build`, which the pipeline keeps with the request's state: a retry builds the request
/// again from them instead of every request sending a copy made up front. The build stops
/// unless every `exec` is rewritten this way: a `send` whose code after the `.await` uses
/// `client`, that builds no `url` and `request`, or that binds a guard before sending
/// (`let _guard = ..`, whose scope must last past the `.await`) is not rewritten.
#[derive(Default)]
pub struct SmallState {
    rewritten: usize,
}

impl SmallState {
    fn check(&self, execs: usize) -> Result<(), String> {
        if self.rewritten == execs {
            Ok(())
        } else {
            Err(format!(
                "progenitor's send methods have an unexpected shape ({} of {execs} exec calls found as \
                 `let result = crate::api::exec(..).await;` in the method's body): codegen/postprocess.rs \
                 (SmallState) must learn it",
                self.rewritten
            ))
        }
    }
}

/// Whether `stmt` binds a value to `_` or to a name starting with `_`: a value kept for its
/// `Drop` (a guard), whose scope must not end early.
fn binds_a_guard(stmt: &syn::Stmt) -> bool {
    matches!(stmt, syn::Stmt::Local(local) if is_guard_pattern(&local.pat))
}

/// Whether `pat` is `_` or a name starting with `_`, with or without a type (`_guard: T`).
fn is_guard_pattern(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Wild(_) => true,
        syn::Pat::Ident(ident) => ident.ident.to_string().starts_with('_'),
        syn::Pat::Type(typed) => is_guard_pattern(&typed.pat),
        _ => false,
    }
}

/// Whether `stmt` is `let NAME = ..` (or `let mut NAME`).
fn binds(stmt: &syn::Stmt, name: &str) -> bool {
    matches!(stmt, syn::Stmt::Local(local) if matches!(&local.pat, syn::Pat::Ident(ident) if ident.ident == name))
}

/// `let mut request = ..` as `let request = ..` (the closure returns it unchanged).
fn unmut_request(mut stmt: syn::Stmt) -> syn::Stmt {
    if let syn::Stmt::Local(local) = &mut stmt
        && let syn::Pat::Ident(ident) = &mut local.pat
        && ident.ident == "request"
    {
        ident.mutability = None;
        local.attrs.retain(|attr| !attr.path().is_ident("allow"));
    }
    stmt
}

/// The error type `E` of a `send` returning `Result<_, E>`.
fn error_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else { return None };
    let syn::Type::Path(path) = &**ty else { return None };
    let last = path.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(generics) = &last.arguments else { return None };
    match generics.args.iter().nth(1)? {
        syn::GenericArgument::Type(error) => Some(error.clone()),
        _ => None,
    }
}

/// The arguments of `crate::api::exec(..).await` if `init` is that expression.
fn awaited_exec(init: &syn::Expr) -> Option<&syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
    let syn::Expr::Await(awaited) = init else { return None };
    match &*awaited.base {
        syn::Expr::Call(call) if matches!(&*call.func, syn::Expr::Path(p) if ends_with(&p.path, &["api", "exec"])) => {
            Some(&call.args)
        }
        _ => None,
    }
}

impl VisitMut for SmallState {
    fn visit_impl_item_fn_mut(&mut self, method: &mut syn::ImplItemFn) {
        if method.sig.asyncness.is_none() {
            return;
        }
        let stmts = &method.block.stmts;
        let Some((at, local, args)) = stmts.iter().enumerate().find_map(|(at, stmt)| match stmt {
            syn::Stmt::Local(local) => Some((at, local, awaited_exec(&local.init.as_ref()?.expr)?)),
            _ => None,
        }) else {
            return;
        };
        let pattern = &local.pat;
        let attrs = &local.attrs;
        let before = &stmts[..at];
        let after = &stmts[at + 1..];
        // A binding kept only for its `Drop` (`let _guard = ..`) would end before the
        // `.await` instead of after it: such a `send` is left as it is, and the build stops.
        if before.iter().any(binds_a_guard) {
            return;
        }
        // (The rest of the method does not use `client`: the build stops if one does.)
        if after.iter().any(|stmt| names(stmt).contains("client")) {
            return;
        }
        // What builds the request (from `let url` to `let mut request`) becomes `build`, which
        // the pipeline calls again only for a retry; the rest stays as it was.
        let Some(error) = error_type(&method.sig.output) else { return };
        let Some(from) = before.iter().position(|stmt| binds(stmt, "url")) else { return };
        let Some(to) = before.iter().position(|stmt| binds(stmt, "request")) else { return };
        if to < from {
            return;
        }
        let (validate, building, rest) = (&before[..from], &before[from..=to], &before[to + 1..]);
        let building = building.iter().cloned().map(unmut_request);
        let args = args.iter();
        let block: Vec<syn::Stmt> = syn::parse_quote! {
            let pending = {
                #(#validate)*
                let build = move || -> ::std::result::Result<::reqwest::Request, #error> {
                    #(#building)*
                    Ok(request)
                };
                #[allow(unused_mut)]
                let mut request = build()?;
                #(#rest)*
                crate::api::exec(#(#args,)* build)
            };
            #(#attrs)* let #pattern = pending.await;
            #(#after)*
        };

        method.block.stmts = block;
        self.rewritten += 1;
    }
}
