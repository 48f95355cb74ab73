//! The admin route table, recorded as it is registered, with the documentation of each route.
//!
//! Every admin route goes through [`RouteTable::add`], which both registers it with actix and
//! remembers (method, path, [`Doc`]). [`super::route_table`] replays the same registration
//! without actix, so the auth-matrix test and the OpenAPI document (`http::openapi`) come
//! from the very definitions that serve requests, with no hand-kept list to drift.

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;

/// A named schema and every schema it refers to.
#[derive(Clone)]
pub struct SchemaUse {
    pub name: String,
    pub schemas: Vec<(String, RefOr<Schema>)>,
}

impl SchemaUse {
    pub fn of<T: ToSchema>() -> SchemaUse {
        let mut schemas = Vec::new();
        T::schemas(&mut schemas);
        schemas.push((T::name().into_owned(), T::schema()));
        SchemaUse {
            name: T::name().into_owned(),
            schemas,
        }
    }
}

/// What a request or response body is.
#[derive(Clone)]
pub enum Body {
    /// One `T`.
    One(SchemaUse),
    /// `{"data":[T], "total", "limit", "offset"}`.
    Page(SchemaUse),
    /// `{"data":[T]}`.
    Items(SchemaUse),
    /// A JSON object described in words.
    Object(&'static str),
}

/// The documentation of one route.
#[derive(Clone)]
pub struct Doc {
    pub summary: String,
    pub tag: &'static str,
    pub request: Option<Body>,
    pub status: u16,
    pub response: Option<Body>,
}

/// Starts a route's documentation: `doc("catalog", "List providers")`.
pub fn doc(tag: &'static str, summary: impl Into<String>) -> Doc {
    Doc {
        summary: summary.into(),
        tag,
        request: None,
        status: 200,
        response: None,
    }
}

impl Doc {
    pub fn body<T: ToSchema>(mut self) -> Doc {
        self.request = Some(Body::One(SchemaUse::of::<T>()));
        self
    }
    pub fn body_object(mut self, description: &'static str) -> Doc {
        self.request = Some(Body::Object(description));
        self
    }
    pub fn returns<T: ToSchema>(mut self, status: u16) -> Doc {
        self.status = status;
        self.response = Some(Body::One(SchemaUse::of::<T>()));
        self
    }
    pub fn returns_page<T: ToSchema>(mut self) -> Doc {
        self.response = Some(Body::Page(SchemaUse::of::<T>()));
        self
    }
    pub fn returns_items<T: ToSchema>(mut self, status: u16) -> Doc {
        self.status = status;
        self.response = Some(Body::Items(SchemaUse::of::<T>()));
        self
    }
    pub fn returns_object(mut self, status: u16, description: &'static str) -> Doc {
        self.status = status;
        self.response = Some(Body::Object(description));
        self
    }
    pub fn no_content(mut self) -> Doc {
        self.status = 204;
        self.response = None;
        self
    }
}

pub struct Entry {
    pub method: Method,
    pub path: String,
    pub doc: Doc,
}

pub struct RouteTable<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    entries: Vec<Entry>,
}

impl<'a> RouteTable<'a> {
    pub fn registering(cfg: &'a mut web::ServiceConfig) -> RouteTable<'a> {
        RouteTable {
            cfg: Some(cfg),
            entries: Vec::new(),
        }
    }

    pub fn listing() -> RouteTable<'static> {
        RouteTable {
            cfg: None,
            entries: Vec::new(),
        }
    }

    pub fn add<F, Args>(&mut self, method: Method, path: &str, doc: Doc, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.entries.push(Entry {
            method: method.clone(),
            path: path.to_string(),
            doc,
        });
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.route(path, web::method(method).to(handler));
        }
        self
    }

    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }
}
