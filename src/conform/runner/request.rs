//! Turns a step's request into a `reqwest::Request`, and records what is
//! sent for the transcript.

use base64::Engine;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::conform::result::RequestRecord;
use crate::conform::scenario::{BasicAuth, Body, Request};
use crate::conform::template::{Template, Vars};

pub(crate) struct Built {
    pub request: reqwest::Request,
    pub record: RequestRecord,
    pub url: url::Url,
}

pub(crate) fn build(client: &reqwest::Client, req: &Request, vars: &Vars) -> Result<Built, String> {
    let raw_url = render(&req.url, vars)?;
    let mut url = url::Url::parse(&raw_url).map_err(|e| format!("`{raw_url}` is not a URL: {e}"))?;
    if !req.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &req.query {
            pairs.append_pair(&render(k, vars)?, &render(v, vars)?);
        }
    }
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut headers = headers(req, vars)?;
    let (body, content_type) = body(&req.body, vars)?;
    if let Some(ct) = content_type
        && !headers.contains_key(CONTENT_TYPE)
    {
        append(&mut headers, CONTENT_TYPE, &ct)?;
    }
    let record = RequestRecord {
        method: method.to_string(),
        url: url.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: body.clone(),
    };
    let mut builder = client.request(method, url.clone()).headers(headers);
    if let Some(b) = body {
        builder = builder.body(b);
    }
    let request = builder.build().map_err(|e| e.to_string())?;
    Ok(Built { request, record, url })
}

fn render(t: &Template, vars: &Vars) -> Result<String, String> {
    t.render(vars)
        .map_err(|u| format!("no value for `{}`: {}", u.name, u.reason))
}

fn append(headers: &mut HeaderMap, name: HeaderName, value: &str) -> Result<(), String> {
    let value = HeaderValue::from_str(value).map_err(|_| format!("header {name} holds characters HTTP forbids"))?;
    headers.append(name, value);
    Ok(())
}

/// The step's headers in order, then its Basic or Bearer credentials.
fn headers(req: &Request, vars: &Vars) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    for (name, value) in &req.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("`{name}` is not a header name"))?;
        append(&mut headers, name, &render(value, vars)?)?;
    }
    if let Some(basic) = &req.basic_auth {
        append(&mut headers, AUTHORIZATION, &basic_header(basic, vars)?)?;
    }
    if let Some(bearer) = &req.bearer {
        append(
            &mut headers,
            AUTHORIZATION,
            &format!("Bearer {}", render(bearer, vars)?),
        )?;
    }
    Ok(headers)
}

/// The body text and the content type that goes with it.
fn body(body: &Body, vars: &Vars) -> Result<(Option<String>, Option<String>), String> {
    Ok(match body {
        Body::Empty => (None, None),
        Body::Form(pairs) => {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                ser.append_pair(&render(k, vars)?, &render(v, vars)?);
            }
            (Some(ser.finish()), Some("application/x-www-form-urlencoded".to_owned()))
        }
        Body::Json(j) => {
            let value = j
                .render(vars)
                .map_err(|u| format!("no value for `{}`: {}", u.name, u.reason))?;
            (Some(value.to_string()), Some("application/json".to_owned()))
        }
        Body::Raw { text, content_type } => (
            Some(render(text, vars)?),
            content_type.as_ref().map(|c| render(c, vars)).transpose()?,
        ),
    })
}

/// RFC 6749 §2.3.1: the client id and secret are each encoded with
/// `application/x-www-form-urlencoded` (Appendix B), then joined with `:`
/// and base64-encoded for HTTP Basic (RFC 7617).
pub(crate) fn basic_header(b: &BasicAuth, vars: &Vars) -> Result<String, String> {
    let render = |t: &Template| {
        t.render(vars)
            .map_err(|u| format!("no value for `{}`: {}", u.name, u.reason))
    };
    let (id, secret) = (render(&b.id)?, render(&b.secret)?);
    let enc = |s: &str| -> String {
        if b.encode {
            url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
        } else {
            s.to_owned()
        }
    };
    let joined = format!("{}:{}", enc(&id), enc(&secret));
    Ok(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_urlencoded_first() {
        let b = BasicAuth {
            id: Template::literal("svc:reports"),
            secret: Template::literal("p+q/r%s t"),
            encode: true,
        };
        let header = basic_header(&b, &Vars::new()).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(header.strip_prefix("Basic ").unwrap())
            .unwrap();
        // The example of CHECKS.md RFC6749-2.3.1-basic-form-urlencoding.
        assert_eq!(String::from_utf8(decoded).unwrap(), "svc%3Areports:p%2Bq%2Fr%25s+t");
    }
}
