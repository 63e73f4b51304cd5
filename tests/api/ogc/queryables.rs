//! Part 3: the queryables resource and the queryables as query parameters.

use super::*;

#[tokio::test]
async fn queryables_are_a_json_schema_of_the_filterable_properties() {
    let app = spawn_app().await;
    let reply = app.get("/ogc/collections/providers/queryables").await.expect(200);
    assert_eq!(reply.content_type, "application/schema+json");
    let schema = reply.json();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["$id"], app.url("/ogc/collections/providers/queryables"));
    assert_eq!(schema["type"], "object");
    for name in ["kind", "service", "district", "accepting", "home_care", "available_24h"] {
        assert!(schema["properties"][name]["type"].is_string(), "{name} is a simple queryable");
    }
    let kinds = app.get("/ogc/collections/clinics/queryables").await.expect(200).json();
    assert_eq!(kinds["properties"]["kind"]["enum"], serde_json::json!(["clinic", "hospital"]));
    let districts = app.get("/ogc/collections/providers/queryables").await.expect(200).json();
    assert_eq!(districts["properties"]["district"]["enum"], serde_json::json!(["north", "central", "east", "south"]));
    // A client that accepts only application/json gets that.
    let plain = app
        .client
        .get(app.url("/ogc/collections/care/queryables"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn each_queryable_is_a_query_parameter_selecting_what_the_public_api_selects() {
    let app = spawn_app().await;
    for q in [
        "kind=clinic",
        "kind=hospital",
        "service=130",
        "district=east",
        "accepting=true",
        "accepting=false",
        "home_care=true",
        "available_24h=true",
        "q=流山",
    ] {
        let ogc = ogc_ids(&app, "providers", q).await;
        assert!(!ogc.is_empty(), "{q} matches something in the sample");
        assert_eq!(ogc, public_ids(&app, q).await, "{q}");
    }
    let combined = "kind=care&service=130&district=central&accepting=true";
    assert_eq!(ogc_ids(&app, "providers", combined).await, public_ids(&app, combined).await);
    // The API definition gives each parameter the schema of its queryable.
    let doc = app.get("/ogc/api").await.expect(200).json();
    let queryables = app.get("/ogc/collections/providers/queryables").await.expect(200).json();
    for p in query_parameters(&doc, "/collections/providers/items") {
        if let Some(schema) = queryables["properties"].get(p["name"].as_str().unwrap()) {
            assert_eq!(&p["schema"], schema, "{}", p["name"]);
        }
    }
}

#[tokio::test]
async fn care_and_clinics_hold_only_their_kinds() {
    let app = spawn_app().await;
    assert_eq!(ogc_ids(&app, "care", "").await, public_ids(&app, "kind=care").await);
    assert_eq!(ogc_ids(&app, "clinics", "").await, public_ids(&app, "kind=clinic,hospital").await);
    assert_eq!(ogc_ids(&app, "clinics", "kind=hospital").await, public_ids(&app, "kind=hospital").await);
    assert_eq!(ogc_ids(&app, "providers", "").await.len(), SAMPLE_COUNT);
}
